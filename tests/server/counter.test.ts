/** The counter demo: the spec's routes inside the real app, for htmx, API clients and plain forms. */
import { describe, expect, test } from 'bun:test'
import { PAGE_HEADER, PAGE_PARAM } from '../../plugins/scoped-state'
import { HTMX_FILE } from '../../server/assets'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX, HTMX_FORM, NAVIGATE, pageIdOf } from '../helpers/client'

const FORM = { ...FORM_POST, origin: 'http://localhost' }

/** Opens /counter like a browser and returns the page id it carries. */
const openCounter = async (user: ReturnType<typeof client>) => {
    const page = await user.text('/counter', NAVIGATE)
    return { page, pageId: pageIdOf(page) }
}

describe('counter demo', () => {
    test('the page renders the spec markup with the page id wired for htmx and for forms', async () => {
        const { page, pageId } = await openCounter(client(testApp()))
        expect(page).toStartWith('<!doctype html>')
        expect(page).toContain('<span id="count" hx-get="/api/count" hx-trigger="load">0</span>')
        // Morphed, and queued with the panel's other requests: see tests/e2e/quick-clicks.test.ts.
        expect(page).toContain('hx-post="/api/increment" hx-target="#count" hx-swap="outerMorph"')
        expect(page).toContain('hx-sync:inherited="closest .counter-panel:queue all"')
        expect(page).toContain(`action="/api/increment?${PAGE_PARAM}=${encodeURIComponent(pageId)}"`)
        // The address names the installed htmx: another version than the one the project is fixed to fails here.
        expect(page).toContain('src="/vendor/htmx-4.0.1.min.js"')
        expect(page).not.toContain('unpkg')
    })

    test('the spec scenario over htmx: A 3, B 0 then 1, A still 3', async () => {
        const app = testApp()
        const a = client(app)
        const b = client(app)
        const tabA = { ...HTMX, [PAGE_HEADER]: (await openCounter(a)).pageId }
        const tabB = { ...HTMX, [PAGE_HEADER]: (await openCounter(b)).pageId }
        for (const n of [1, 2, 3])
            expect(await (await a.post('/api/increment', tabA)).text()).toBe(`<span id="count">${n}</span>`)
        expect(await b.text('/api/count', tabB)).toBe('<span id="count">0</span>')
        expect(await (await b.post('/api/increment', tabB)).text()).toBe('<span id="count">1</span>')
        expect(await a.text('/api/count', tabA)).toBe('<span id="count">3</span>')
        expect(await (await a.post('/api/decrement', tabA)).text()).toBe('<span id="count">2</span>')
    })

    test('curl without a page id: 0 → 1 → 2 over separate requests', async () => {
        const user = client(testApp())
        expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
        expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">1</span>')
        expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">2</span>')
    })

    test('a script that asks for HTML but sends no page id gets the fragment: a redirect it followed would start its scope over', async () => {
        const user = client(testApp())
        for (const expected of [1, 2, 3]) {
            const response = await user.post('/api/increment', { accept: 'text/html' })
            expect([response.status, await response.text()]).toEqual([200, `<span id="count">${expected}</span>`])
        }
    })

    test('reset keeps preserved state, full reset does not', async () => {
        const user = client(testApp())
        await user.post('/theme', HTMX_FORM, 'theme=dark')
        await user.post('/api/increment')
        expect(await (await user.post('/api/reset', HTMX)).text()).toBe('<span id="count">0</span>')
        expect(await user.text('/counter', NAVIGATE)).toContain('data-theme="dark"')
        await user.post('/api/increment')
        expect(await (await user.post('/api/full-reset')).text()).toBe('<span id="count">0</span>')
        expect(await user.text('/counter', NAVIGATE)).toContain('data-theme="system"')
    })

    test('over htmx, a full reset also updates what the page shows of the cart and the theme', async () => {
        const user = client(testApp())
        await user.post('/theme', HTMX_FORM, 'theme=dark')
        await user.post('/cart/items', HTMX_FORM, 'productId=mug')
        const response = await user.post('/api/full-reset', HTMX)
        const fragment = await response.text()
        expect(fragment).toStartWith('<span id="count">0</span>')
        expect(fragment).toContain('id="cart-badge"')
        expect(fragment).toContain('data-count="0"')
        expect(fragment).toContain('hx-swap-oob="true"')
        expect(JSON.parse(response.headers.get('hx-trigger') ?? '')).toEqual({ 'theme-changed': { theme: 'system' } })
    })

    test('a full reset works from a page whose session ended, over htmx as without JavaScript', async () => {
        const user = client(testApp())
        const { pageId } = await openCounter(user)
        await user.post('/cart/items', HTMX_FORM, 'productId=mug')
        await user.post('/theme', HTMX_FORM, 'theme=dark')
        // Signed in from another tab: this page's id belonged to the session that ended.
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        expect((await user.post('/api/increment', { ...HTMX, [PAGE_HEADER]: pageId })).status).toBe(409)
        const response = await user.post('/api/full-reset', { ...HTMX, [PAGE_HEADER]: pageId })
        expect(response.status).toBe(200)
        expect(await response.text()).toStartWith('<span id="count">0</span>')
        const page = await user.text('/account', NAVIGATE)
        expect(page).toContain('data-theme="system"')
        expect(page).toContain('data-count="0"')
        expect(page).not.toContain('Signed in as')
    })

    test('without JavaScript: +1 twice shows 1, then 2 (Post/Redirect/Get keeps the page scope)', async () => {
        const user = client(testApp())
        const { pageId } = await openCounter(user)
        const action = `/api/increment?${PAGE_PARAM}=${encodeURIComponent(pageId)}`
        for (const expected of [1, 2]) {
            const posted = await user.post(action, FORM, '')
            expect(posted.status).toBe(303)
            expect(posted.headers.get('vary')).toBe('HX-Request, Accept')
            const location = posted.headers.get('location') as string
            expect(location).toBe(`/counter?${PAGE_PARAM}=${encodeURIComponent(pageId)}`)
            const page = await user.text(location, NAVIGATE)
            expect(page).toContain(`hx-trigger="load">${expected}</span>`)
        }
    })

    test('a redirect to an address with a #fragment: the browser sends no fragment, and the page keeps its scope', async () => {
        const user = client(testApp())
        const { pageId } = await openCounter(user)
        const posted = await user.post(`/api/increment?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, FORM, '')
        // As a form whose action ends in #count lands: the browser keeps the fragment across the 303.
        const page = await user.text(`${posted.headers.get('location')}#count`, NAVIGATE)
        expect(page).toContain('hx-trigger="load">1</span>')
    })

    test('htmx answers vary on HX-Request and Accept', async () => {
        const response = await client(testApp()).post('/api/increment', HTMX)
        expect(response.headers.get('vary')).toBe('HX-Request, Accept')
        expect(response.headers.get('content-type')).toStartWith('text/html')
    })

    test('htmx is served from our origin with long-lived caching', async () => {
        const response = await testApp().handle(new Request('http://localhost/vendor/htmx-4.0.1.min.js'))
        expect(response.status).toBe(200)
        expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
        // The whole file, and no `Content-Range`, which has no meaning on a 200.
        expect(response.headers.get('content-range')).toBeNull()
        expect(await response.text()).toBe(await Bun.file(HTMX_FILE).text())
    })
})
