/**
 * What `server/respond.ts` puts in headers, through `app.handle`: an `HX-Trigger` event's text and
 * a page's path in any language reach the browser whole, where Bun refuses a header value beyond Latin-1.
 */
import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { answer, reload, triggerHeader } from '../../server/respond'
import { FORM_POST, HTMX, NAVIGATE } from '../helpers/client'

describe('triggerHeader', () => {
    test('an event carrying text in any script arrives whole, as htmx parses it', async () => {
        const events = { 'cart-changed': { message: '追加しました 🙂 — أُضيف — Ajouté' } }
        const app = new Elysia().post('/', ({ set }) => {
            set.headers['hx-trigger'] = triggerHeader(events)
            return ''
        })
        const response = await app.handle(new Request('http://localhost/', { method: 'POST' }))
        expect(response.status).toBe(200)
        const header = response.headers.get('hx-trigger') ?? ''
        expect(header).toMatch(/^[\x20-\x7e]+$/)
        expect(JSON.parse(header)).toEqual(events)
    })
})

describe('answer and reload', () => {
    const CART = '/カート'
    const app = new Elysia()
        .get(CART, () => 'the cart')
        .post('/add', (context) => answer({ ...context, scopedPageId: 'page-1' }, CART, () => 'added'))
        .post('/sign-in', (context) => reload(context, CART))
    const post = (path: string, headers: Record<string, string>) =>
        app.handle(new Request(`http://localhost${path}`, { method: 'POST', headers }))

    test('lead to a page whose path is not ASCII, which the browser then loads', async () => {
        const redirected = await post('/add', { ...FORM_POST, 'sec-fetch-mode': 'navigate' })
        expect(redirected.status).toBe(303)
        const location = redirected.headers.get('location') ?? ''
        expect(location).toBe(`${encodeURI(CART)}?page_id=page-1`)
        expect((await post('/sign-in', FORM_POST)).headers.get('location')).toBe(encodeURI(CART))
        const reloaded = await post('/sign-in', HTMX)
        expect(reloaded.headers.get('hx-redirect')).toBe(encodeURI(CART))

        const page = await app.handle(new Request(new URL(location, 'http://localhost'), { headers: NAVIGATE }))
        expect(await page.text()).toBe('the cart')
    })

    test('leave a path already percent-encoded as it is, as a return address taken from a URL comes', async () => {
        const app = new Elysia()
            .get(CART, ({ query }) => `the cart, from ${query.from}`)
            .post('/sign-in', (context) => reload(context, `${encodeURI(CART)}?from=caf%C3%A9%20bar`))
        const signedIn = await app.handle(
            new Request('http://localhost/sign-in', { method: 'POST', headers: FORM_POST })
        )
        const location = signedIn.headers.get('location') ?? ''
        expect(location).toBe(`${encodeURI(CART)}?from=caf%C3%A9%20bar`)
        const page = await app.handle(new Request(new URL(location, 'http://localhost'), { headers: NAVIGATE }))
        expect(await page.text()).toBe('the cart, from café bar')
    })

    test('encode a space and a lone surrogate in a path rather than fail after the change was saved', async () => {
        const app = new Elysia().post('/sign-in', (context) => reload(context, '/notes/a b\ud800'))
        const signedIn = await app.handle(
            new Request('http://localhost/sign-in', { method: 'POST', headers: FORM_POST })
        )
        expect(signedIn.status).toBe(303)
        expect(signedIn.headers.get('location')).toBe('/notes/a%20b%EF%BF%BD')
    })
})
