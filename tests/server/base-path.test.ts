/**
 * `BASE_PATH=/shop`, as behind a proxy that passes `/shop/…` on as it is (docs/deployment.md):
 * the running server answers under it only, and every address it hands the browser (links,
 * assets, htmx requests, form actions, redirects, `HX-Redirect`) is under it too, since the
 * browser resolves `/counter` from the host's root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { setCookieOf } from '../helpers/client'
import { type RunningServer, startServer } from '../helpers/server'

let server: RunningServer
beforeAll(async () => {
    server = await startServer({ env: { BASE_PATH: '/shop', NODE_ENV: 'production' } })
})
afterAll(() => server.stop())

/** What a browser behind an https proxy sends: a page load, or a same-origin form post. */
const browserHeaders = (post = false) => ({
    accept: 'text/html',
    'x-forwarded-proto': 'https',
    'sec-fetch-site': post ? 'same-origin' : 'none',
    'sec-fetch-mode': 'navigate'
})

const load = (path: string) => fetch(`${server.url}${path}`, { headers: browserHeaders(), redirect: 'manual' })

const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...browserHeaders(true), ...headers },
        body: new URLSearchParams(fields),
        redirect: 'manual'
    })

/** Every address in a page's attributes that the browser resolves, with the attribute naming it. */
const addresses = (html: string) =>
    [...html.matchAll(/\s(href|src|action|hx-get|hx-post)="([^"#][^"]*)"/g)].map(([, name = '', value = '']) => ({
        name,
        value: value.replaceAll('&amp;', '&')
    }))

describe('under BASE_PATH=/shop', () => {
    test.each(['/shop/', '/shop/counter', '/shop/cart', '/shop/theme', '/shop/account', '/shop/no-such-page'])(
        '%s names only addresses under /shop/, and those it loads answer',
        async (path) => {
            const page = await load(path)
            const found = addresses(await page.text())
            expect(found.length).toBeGreaterThan(5)
            expect(found.filter(({ value }) => !value.startsWith('/shop/'))).toEqual([])
            for (const { name, value } of found.filter(({ name }) => ['href', 'src', 'hx-get'].includes(name)))
                expect({ name, value, status: (await load(value)).status }).toEqual({ name, value, status: 200 })
        }
    )

    test('a plain form comes back to its page under /shop, with its page id', async () => {
        const page = await load('/shop/counter')
        const cookie = setCookieOf(page) ?? ''
        const action = addresses(await page.text()).find(({ value }) => value.startsWith('/shop/api/increment?'))
        expect(action).toBeDefined()
        const answer = await post(action?.value ?? '', {}, { cookie })
        expect(answer.status).toBe(303)
        expect(answer.headers.get('location')).toStartWith('/shop/counter?page_id=')
    })

    test("a form's address asked for by GET sends the browser to its page under /shop, with its page id", async () => {
        const page = await load('/shop/counter')
        const action = addresses(await page.text()).find(({ value }) => value.startsWith('/shop/api/increment?'))
        const pageId = new URL(action?.value ?? '', server.url).searchParams.get('page_id')
        const again = await fetch(`${server.url}${action?.value}`, {
            headers: { ...browserHeaders(), cookie: setCookieOf(page) ?? '' },
            redirect: 'manual'
        })
        expect([again.status, again.headers.get('location')]).toEqual([303, `/shop/counter?page_id=${pageId}`])
    })

    test('signing in loads the account page under /shop: a 303 without JavaScript, HX-Redirect with htmx', async () => {
        const plain = await post('/shop/account/sign-in', { name: 'Ada' })
        expect([plain.status, plain.headers.get('location')]).toEqual([303, '/shop/account'])
        const htmx = await post('/shop/account/sign-in', { name: 'Ada' }, { 'hx-request': 'true' })
        expect([htmx.status, htmx.headers.get('hx-redirect')]).toEqual([200, '/shop/account'])
    })

    test('the session cookie is named for the path: another app on the host keeps its own', async () => {
        const page = await load('/shop/counter')
        expect(page.headers.get('set-cookie')).toStartWith('__Host-session-shop=')
    })

    test('nothing answers outside /shop but the 404 page; /healthz is /shop/healthz', async () => {
        expect((await load('/counter')).status).toBe(404)
        expect((await fetch(`${server.url}/healthz`)).status).toBe(404)
        expect((await fetch(`${server.url}/shop/healthz`)).status).toBe(200)
    })
})
