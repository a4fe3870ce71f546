/**
 * The account demo through `app.handle`: signing in gives a new session id, kills the old
 * one and carries the cart and theme over; signing out deletes the state and clears the
 * cookie; a refused name changes nothing (tests/server/xss.test.ts: names are escaped).
 */
import { describe, expect, test } from 'bun:test'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX, HTMX_FORM, maxAgeOf, NAVIGATE, pageIdOf, sessionIdOf } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'

type User = ReturnType<typeof client>

/** A user of `app` with a mug in the cart and the dark theme, not signed in. */
const shopper = async (app = testApp()) => {
    const user = client(app)
    await user.post('/cart/items', FORM_POST, 'productId=mug')
    await user.post('/theme', FORM_POST, 'theme=dark')
    return user
}

const accountPage = (user: User) => user.text('/account', NAVIGATE)
const signedInAs = (page: string) => /Signed in as <strong><bdi>(.*?)<\/bdi><\/strong>/.exec(page)?.[1]
const cartBadgeOf = (page: string) => /id="cart-badge" class="badge" data-count="(\d+)"/.exec(page)?.[1]

describe('account demo', () => {
    test('a new visitor sees the sign-in form', async () => {
        const page = await accountPage(client(testApp()))
        expect(page).toContain('<h2 id="account-heading">Sign in</h2>')
        expect(page).toContain('<label for="account-name">Name</label>')
        expect(signedInAs(page)).toBeUndefined()
    })

    test('htmx sign-in: a new session id, the old one dead, the cart and theme carried over', async () => {
        const app = testApp()
        const user = await shopper(app)
        const before = user.cookie
        const response = await user.post('/account/sign-in', HTMX_FORM, 'name=%20Ada%20')
        expect(response.status).toBe(200)
        // A full page load follows: the page's id belonged to the old session.
        expect(response.headers.get('hx-redirect')).toBe('/account')
        // A plain form gets a 303 instead: what a cache keeps depends on both headers.
        expect(response.headers.get('vary')).toBe('HX-Request, Accept')
        expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(before))

        const page = await accountPage(user)
        expect(signedInAs(page)).toBe('Ada')
        expect(page).toContain('data-theme="dark"')
        expect(cartBadgeOf(page)).toBe('1')

        // Whoever still holds the old cookie (it may have been planted: fixation) gets nothing.
        const old = client(app, before)
        const stale = await accountPage(old)
        expect(signedInAs(stale)).toBeUndefined()
        expect(cartBadgeOf(stale)).toBe('0')
    })

    test('the session cookie outlives the browser only when "Keep me signed in" is ticked', async () => {
        const maxAgeAfter = async (body: string) => {
            const user = await shopper()
            expect(await accountPage(user)).toContain('<input type="checkbox" name="remember" value="on"/>')
            const response = await user.post('/account/sign-in', HTMX_FORM, body)
            expect(response.headers.get('set-cookie')).toStartWith('user_session_id=')
            return maxAgeOf(response)
        }
        expect(await maxAgeAfter('name=Ada')).toBeUndefined()
        expect(await maxAgeAfter('name=Ada&remember=on')).toBe('604800')
    })

    test('a refused name keeps "Keep me signed in" as the user left it, with JavaScript or without', async () => {
        const user = await shopper()
        const box = /<input type="checkbox" name="remember" value="on"[^>]*>/
        for (const [headers, remember] of [
            [HTMX_FORM, '&remember=on'],
            [FORM_POST, '&remember=on'],
            [HTMX_FORM, '']
        ] as const) {
            const refused = await user.post('/account/sign-in', headers, `name=${'a'.repeat(41)}${remember}`)
            expect(refused.status).toBe(422)
            expect(box.exec(await refused.text())?.[0]).toBe(
                `<input type="checkbox" name="remember" value="on"${remember ? ' checked' : ''}/>`
            )
        }
    })

    test('a sign-in sent again under the same name keeps the session; another name starts afresh', async () => {
        const app = testApp()
        const user = await shopper(app)
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        const signedIn = user.cookie
        // A second new id would be lost if the browser left for the first answer's page first.
        const again = await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        expect(again.headers.get('hx-redirect')).toBe('/account')
        expect(again.headers.get('set-cookie')).toBeNull()
        expect(signedInAs(await accountPage(user))).toBe('Ada')
        const other = await user.post('/account/sign-in', HTMX_FORM, 'name=Grace')
        expect(other.headers.get('hx-redirect')).toBe('/account')
        expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(signedIn))
        // Grace signed in on Ada's browser (a tab still showing the form): nothing of Ada's goes over.
        const page = await accountPage(user)
        expect(signedInAs(page)).toBe('Grace')
        expect(cartBadgeOf(page)).toBe('0')
        expect(page).toContain('data-theme="system"')
        // And Ada's session is gone with its cart: her old cookie reaches nothing.
        const ada = await accountPage(client(app, signedIn))
        expect(signedInAs(ada)).toBeUndefined()
        expect(cartBadgeOf(ada)).toBe('0')
    })

    test('plain form sign-in and sign-out (JavaScript off) redirect to a fresh /account', async () => {
        const user = await shopper()
        const signIn = await user.post('/account/sign-in', FORM_POST, 'name=Grace')
        expect(signIn.status).toBe(303)
        expect(signIn.headers.get('location')).toBe('/account')
        expect(signedInAs(await accountPage(user))).toBe('Grace')
        const signOut = await user.post('/account/sign-out', FORM_POST)
        expect(signOut.status).toBe(303)
        expect(signOut.headers.get('location')).toBe('/account')
    })

    test('sign-out deletes the state and clears the cookie; the old cookie reaches nothing', async () => {
        const app = testApp()
        const user = await shopper(app)
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        const signedIn = user.cookie
        const response = await user.post('/account/sign-out', HTMX)
        expect(response.headers.get('hx-redirect')).toBe('/account')
        expect(response.headers.get('set-cookie')).toContain('Max-Age=0')
        expect(user.cookie).toBe('')

        for (const who of [user, client(app, signedIn)]) {
            const page = await accountPage(who)
            expect(signedInAs(page)).toBeUndefined()
            expect(cartBadgeOf(page)).toBe('0')
            expect(page).toContain('data-theme="system"')
        }
    })

    test("a tab left open across a sign-in in another tab is asked to reload, not mixed with the others' counts", async () => {
        const user = await shopper()
        const counter = await user.text('/counter', NAVIGATE)
        const pageId = pageIdOf(counter)
        await user.post('/api/increment', { ...HTMX, 'x-page-id': pageId })
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        const response = await user.post('/api/increment', { ...HTMX, 'x-page-id': pageId })
        expect(response.status).toBe(409)
        expect(response.headers.get('hx-retarget')).toBe('#alerts')
        expect(await response.text()).toContain('This page is out of date')

        // Without JavaScript, the answer says how to load the page afresh: a reload would post the same id.
        const form = await user.post(`/api/increment?page_id=${encodeURIComponent(pageId)}`, FORM_POST)
        expect(form.status).toBe(409)
        expect(await form.text()).toContain('Your change was not saved. Open the page again from the menu;')
    })

    test('from a tab left open across a sign-in elsewhere, the cart, the theme and signing out still work', async () => {
        const user = await shopper()
        const account = await accountPage(user)
        const pageId = pageIdOf(account)
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        const stale = { 'x-page-id': pageId }
        expect((await user.post('/cart/items', { ...HTMX_FORM, ...stale }, 'productId=pen')).status).toBe(200)
        expect((await user.post('/theme', { ...HTMX_FORM, ...stale }, 'theme=light')).status).toBe(200)
        const signOut = await user.post('/account/sign-out', { ...HTMX, ...stale })
        expect(signOut.headers.get('hx-redirect')).toBe('/account')
        expect(user.cookie).toBe('')
    })

    test('a sign-in whose answer was lost: its old cookie is refused for a minute, and the message says to wait it out', async () => {
        let now = Date.now()
        const app = testApp({ now: () => now })
        const user = await shopper(app)
        const old = user.cookie
        // The sign-in is saved, but its answer, and the new cookie with it, never reaches the browser.
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        const browser = client(app, old)
        const refused = await browser.post('/cart/items', HTMX_FORM, 'productId=pen')
        expect(refused.status).toBe(409)
        // A reload brings the same cookie back, and the same refusal, until the minute is over.
        expect(await refused.text()).toContain('if this comes back, wait a minute, then reload')
        // Without JavaScript, the refusal is a page whose reload would post the form again: the menu instead.
        const page = await browser.post('/cart/items', FORM_POST, 'productId=pen')
        expect(page.status).toBe(409)
        expect(await page.text()).toContain(
            'nothing was saved. Open the page again from the menu; if this comes back, wait a minute, then open it again.'
        )
        now += 61_000
        expect((await browser.post('/account/sign-in', HTMX_FORM, 'name=Ada')).status).toBe(200)
        expect(signedInAs(await accountPage(browser))).toBe('Ada')
    })

    test('a refused name: 422 with the message next to the field, the name kept to correct, nothing changed', async () => {
        const user = await shopper()
        const before = user.cookie
        for (const [body, message] of [
            ['name=', 'Enter a name to sign in with.'],
            ['name=%20%20', 'Enter a name to sign in with.'],
            ['', 'Enter a name to sign in with.'],
            // Invisible: a zero-width space, a byte-order mark.
            ['name=%E2%80%8B', 'Enter a name to sign in with.'],
            ['name=%EF%BB%BF%20', 'Enter a name to sign in with.'],
            ['name=Ada%09Lovelace', 'Use no control characters (tabs, line breaks, direction marks).'],
            ['name=Ada%00', 'Use no control characters (tabs, line breaks, direction marks).'],
            // Line and paragraph separators; a right-to-left override, which would show "Signed in as …" reversed.
            ['name=Ada%E2%80%A8Lovelace', 'Use no control characters (tabs, line breaks, direction marks).'],
            ['name=Ada%E2%80%A9Lovelace', 'Use no control characters (tabs, line breaks, direction marks).'],
            ['name=%E2%80%AEnimda', 'Use no control characters (tabs, line breaks, direction marks).'],
            [`name=${'a'.repeat(41)}`, 'Use at most 40 characters.']
        ] as const) {
            const response = await user.post('/account/sign-in', HTMX_FORM, body)
            expect(response.status).toBe(422)
            expect(response.headers.get('set-cookie')).toBeNull()
            const fragment = await response.text()
            expect(fragment).toStartWith('<section id="account"')
            expect(fragment).toContain(`<p class="field-error" id="account-error">${message}</p>`)
            // Said out of band, so the same message again is heard again.
            expect(fragment).toContain(`hx-swap-oob="innerHTML">${message}</p>`)
            expect(fragment).toContain('aria-invalid="true" aria-describedby="account-error"')
        }
        // Without JavaScript: the whole page, with the name as typed.
        const page = await user.post('/account/sign-in', FORM_POST, `name=${'b'.repeat(41)}`)
        expect(page.status).toBe(422)
        const shown = await page.text()
        expect(shown).toContain(`value="${'b'.repeat(41)}"`)
        expect(shown).toContain('<title>Error: Account · ')
        expect(user.cookie).toBe(before)
        expect(signedInAs(await accountPage(user))).toBeUndefined()
        // Forty characters is fine, counted as characters, not UTF-16 units.
        await user.post('/account/sign-in', HTMX_FORM, `name=${encodeURIComponent('🙂'.repeat(40))}`)
        expect(signedInAs(await accountPage(user))).toBe('🙂'.repeat(40))
    })

    test('a name is as long as the characters a person counts in it, before or after NFC', async () => {
        const signIn = async (name: string) => {
            const user = await shopper()
            const response = await user.post('/account/sign-in', HTMX_FORM, `name=${encodeURIComponent(name)}`)
            return { status: response.status, shown: signedInAs(await accountPage(user)) }
        }
        // Six people: seven code points each, joined into one emoji.
        const families = '👨‍👩‍👧‍👦'.repeat(6)
        expect(await signIn(families)).toEqual({ status: 200, shown: families })
        // 25 characters typed, 50 code points once NFC splits each into "क" and a nukta.
        const typed = '\u0958'.repeat(25)
        expect(typed.normalize('NFC')).toHaveLength(50)
        expect(await signIn(typed)).toEqual({ status: 200, shown: typed.normalize('NFC') })
        expect((await signIn('🇫🇷'.repeat(41))).status).toBe(422)
    })

    test('a name sent as JSON with a lone surrogate (no character at all) is refused', async () => {
        const user = await shopper()
        const response = await user.post(
            '/account/sign-in',
            { ...HTMX, 'content-type': 'application/json' },
            '{"name":"\\ud800"}'
        )
        expect(response.status).toBe(422)
        expect(await response.text()).toContain('Enter a name to sign in with.')
    })

    test('a name too long to fit once normalized is refused before it is normalized (quadratic in its combining marks)', async () => {
        const user = await shopper()
        const normalize = String.prototype.normalize
        let longestNormalized = 0
        String.prototype.normalize = function (this: string, form?: string) {
            longestNormalized = Math.max(longestNormalized, this.length)
            return normalize.call(this, form)
        }
        try {
            // Marks of two classes, out of order: NFC sorts them pairwise (32,000 of them took 3.9 s).
            const name = `a${'\u0301'.repeat(1_000)}${'\u0316'.repeat(1_000)}`
            const response = await user.post(
                '/account/sign-in',
                { ...HTMX, 'content-type': 'application/json' },
                JSON.stringify({ name })
            )
            expect(response.status).toBe(422)
            expect(await response.text()).toContain('Use at most 40 characters.')
        } finally {
            String.prototype.normalize = normalize
        }
        expect(longestNormalized).toBeLessThanOrEqual(240)
        // The most a name of forty characters can arrive as: each decomposed into six UTF-16 units.
        const widest = '\u{16126}'.repeat(40)
        expect(widest.normalize('NFD').length).toBe(240)
        // With a space on each side, as a pasted name often comes: they are trimmed before the length counts.
        await user.post('/account/sign-in', HTMX_FORM, `name=${encodeURIComponent(` ${widest.normalize('NFD')} `)}`)
        expect(signedInAs(await accountPage(user))).toBe(widest)
    })

    test('one name however its accents were typed: "José" composed or as "e" and an accent', async () => {
        const user = await shopper()
        await user.post('/account/sign-in', HTMX_FORM, `name=${encodeURIComponent('José'.normalize('NFC'))}`)
        const cart = cartBadgeOf(await accountPage(user))
        // The same person again, from a tab still showing the form: the cart stays.
        await user.post('/account/sign-in', HTMX_FORM, `name=${encodeURIComponent('José'.normalize('NFD'))}`)
        const page = await accountPage(user)
        expect(signedInAs(page)).toBe('José'.normalize('NFC'))
        expect(cartBadgeOf(page)).toBe(cart as string)
        expect(cart).not.toBe('0')
    })

    test('a sign-in or a theme change whose save fails: no redirect, no event, no new cookie, the alert instead', async () => {
        const store = flakyStore()
        const alice = client(testApp({ store }))
        await alice.post('/cart/items', HTMX_FORM, 'productId=mug')
        const cookie = alice.cookie

        store.failing = true
        for (const [path, body] of [
            ['/account/sign-in', 'name=alice'],
            ['/theme', 'theme=dark']
        ] as const) {
            const response = await alice.post(path, HTMX_FORM, body)
            expect(response.status).toBe(503)
            expect(response.headers.get('hx-retarget')).toBe('#alerts')
            for (const header of ['hx-redirect', 'hx-trigger', 'set-cookie'])
                expect(response.headers.get(header)).toBeNull()
        }
        store.failing = false
        expect(alice.cookie).toBe(cookie)
        expect(await alice.text('/cart', NAVIGATE)).toContain('data-count="1"')
    })
})
