/**
 * The app shell every page shares: one layout with the app name, the demos' nav, the cart
 * badge and a footer; the theme in <html>; no inline script and no `hx-on` (the CSP allows
 * scripts from our origin only); the stylesheet and script it links are served.
 */
import { describe, expect, test } from 'bun:test'
import { Html } from '@kitajs/html'
import { APP_NAME } from '../../views/layout'
import { testApp } from '../helpers/app'
import { client, HTMX_FORM, NAVIGATE } from '../helpers/client'

/** The pages the nav leads to, with their labels: the last test checks this list against the nav itself. */
const NAV_PAGES = [
    { path: '/counter', current: 'Counter' },
    { path: '/cart', current: 'Cart' },
    { path: '/theme', current: 'Theme' },
    { path: '/account', current: 'Account' }
]
const PAGES = [{ path: '/', current: undefined }, ...NAV_PAGES]

describe('app shell', () => {
    for (const { path, current } of PAGES) {
        test(`${path} uses the shared layout`, async () => {
            const page = await client(testApp()).text(path, NAVIGATE)
            expect(page).toStartWith('<!doctype html><html lang="en" data-theme="system">')
            expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>')
            expect(page).toContain('<a class="skip-link" href="#main">')
            expect(page).toContain(`${Html.escapeHtml(APP_NAME)}</a>`)
            for (const nav of NAV_PAGES)
                expect(page).toMatch(new RegExp(`<a class="nav-link" href="${nav.path}"[^>]*>${nav.current}</a>`))
            expect(page).toMatch(/<span id="cart-badge" class="badge" data-count="0">0<span class="visually-hidden">/)
            expect(page).toContain('<main id="main"')
            expect(page).toContain('<footer class="site-footer">')
            // By its address, not its label: a page's label need not be its path ('To-do' at /todos).
            const marked = [...page.matchAll(/href="([^"]+)" aria-current="page"/g)].map((match) => match[1])
            expect(marked).toEqual(current ? [path] : [])
        })

        test(`${path} has no inline script and no hx-on`, async () => {
            const page = await client(testApp()).text(path, NAVIGATE)
            const scripts = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
            expect(scripts.length).toBeGreaterThan(0)
            for (const [, attributes, body] of scripts) {
                expect(attributes).toMatch(/ src="\/[^"]+"/)
                expect(body).toBe('')
            }
            expect(page).not.toMatch(/\shx-on/)
            expect(page).not.toMatch(/\son[a-z]+=/)
        })
    }

    test('the badge counts items (quantities summed) on every page', async () => {
        const user = client(testApp())
        await user.post('/cart/items', HTMX_FORM, 'productId=mug&quantity=2')
        await user.post('/cart/items', HTMX_FORM, 'productId=pen&quantity=3')
        for (const { path } of PAGES)
            expect(await user.text(path, NAVIGATE)).toMatch(
                /<span id="cart-badge"[^>]*>5<span class="visually-hidden"> items/
            )
    })

    test("an error page shows a new visitor's shell, not the user's: the store may be what failed", async () => {
        const user = client(testApp())
        await user.post('/cart/items', HTMX_FORM, 'productId=mug')
        await user.post('/theme', HTMX_FORM, 'theme=dark')
        const page = await user.get('/no/such/page', NAVIGATE)
        expect(page.status).toBe(404)
        const html = await page.text()
        expect(html).toStartWith('<!doctype html><html lang="en" data-theme="system">')
        expect(html).not.toContain('cart-badge')
    })

    test('the stylesheet themes through custom properties, with system following the device', async () => {
        const response = await testApp().handle(new Request('http://localhost/public/styles.css'))
        expect(response.status).toBe(200)
        const css = await response.text()
        // "system" keeps `color-scheme: light dark`, so light-dark() follows the device.
        expect(css).toMatch(/:root \{\s*color-scheme: light dark;/)
        expect(css).toMatch(/\[data-theme="dark"\] \{\s*color-scheme: dark;/)
        expect(css).toMatch(/\[data-theme="light"\] \{\s*color-scheme: light;/)
        expect(css).toContain('--bg: light-dark(')
        expect(css).toContain(':focus-visible')
        expect(css).toContain('.visually-hidden')
        expect(css).not.toMatch(/@import|https?:\/\//)
    })

    test('the page script applies a theme-changed event to <html>', async () => {
        const response = await testApp().handle(new Request('http://localhost/public/app.js'))
        expect(response.status).toBe(200)
        expect(await response.text()).toContain("addEventListener('theme-changed'")
    })

    test('the pages checked above are every page the nav leads to', async () => {
        const home = await client(testApp()).text('/', NAVIGATE)
        const linked = [...home.matchAll(/<a class="nav-link" href="([^"]+)"[^>]*>([^<]+)<\/a>/g)]
        expect(linked.map(([, path, current]) => ({ path, current }))).toEqual(NAV_PAGES)
    })
})
