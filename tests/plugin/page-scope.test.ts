/** Non-preserved keys belong to one page load of one tab; preserved keys to the session. */
import { describe, expect, test } from 'bun:test'
import { PAGE_HEADER, PAGE_PARAM, withPageId } from '../../plugins/scoped-state'
import { client, FORM_POST, HTMX, inPage, NAVIGATE, setCookieOf } from '../helpers/client'
import { manualClock, stateApp } from '../helpers/plugin-app'

interface State {
    count: number
    theme: string
    page: string
}

/** What htmx 4.0.1 sends on Back to an entry it pushed (seen in Chromium): no HX-Request, no Accept: text/html. */
const HISTORY_RESTORE = {
    accept: '*/*',
    'hx-history-restore-request': 'true',
    'hx-request-type': 'full',
    'sec-fetch-mode': 'cors'
}

/** Loads a page like a browser does; returns its page id and state. */
const load = async (user: ReturnType<typeof client>) => (await (await user.get('/state', NAVIGATE)).json()) as State

describe('page scope', () => {
    test('a refresh resets non-preserved keys and keeps preserved ones', async () => {
        const user = client(stateApp())
        const first = await load(user)
        await user.post('/increment', inPage(first.page))
        await user.post('/theme/dark', inPage(first.page))
        const refreshed = await load(user)
        expect(refreshed.page).not.toBe(first.page)
        expect(refreshed).toMatchObject({ count: 0, theme: 'dark' })
    })

    test('navigating to another page and back resets; the old page id still names its scope', async () => {
        const user = client(stateApp())
        const counter = await load(user)
        await user.post('/increment', inPage(counter.page))
        await user.post('/increment', inPage(counter.page))
        await user.get('/tags', NAVIGATE)
        expect((await load(user)).count).toBe(0)
        // A tab restored from the back/forward cache keeps talking to its own scope.
        expect(await (await user.get('/count', inPage(counter.page))).text()).toBe('2')
    })

    test("htmx's history restore renders the page anew, though it sends the id of the page it replaces", async () => {
        const user = client(stateApp())
        const page = await load(user)
        await user.post('/increment', inPage(page.page))
        const restored = (await (
            await user.get('/state', { ...HISTORY_RESTORE, [PAGE_HEADER]: page.page })
        ).json()) as State
        expect(restored.page).not.toBe(page.page)
        expect(restored.count).toBe(0)
        // Should a later htmx send HX-Request and Accept: text/html with it, as htmx 2 did: the same.
        const another = await load(user)
        await user.post('/increment', inPage(another.page))
        const withHtmxHeaders = { ...inPage(another.page), 'hx-history-restore-request': 'true' }
        expect(((await (await user.get('/state', withHtmxHeaders)).json()) as State).count).toBe(0)
    })

    test("htmx's history restore drops the scope of the page it replaces, which no tab shows any more", async () => {
        // Two scopes: tab A's, and one for each page tab B shows in turn.
        const user = client(stateApp({ maxPages: 2 }))
        const tabA = (await load(user)).page
        await user.post('/increment', inPage(tabA))
        let tabB = (await load(user)).page
        for (let step = 0; step < 3; step++) {
            await user.post('/increment', inPage(tabB))
            // Back or Forward in tab B: htmx sends the id of the page its <body> still carries.
            const restored = await user.get('/state', { ...HISTORY_RESTORE, [PAGE_HEADER]: tabB })
            const replaced = tabB
            tabB = ((await restored.json()) as State).page
            expect(await user.text('/count', inPage(replaced))).toBe('0')
        }
        expect(await user.text('/count', inPage(tabA))).toBe('1')
    })

    test('two page ids of one session: independent counts, one shared preserved state', async () => {
        const user = client(stateApp())
        const tabA = (await load(user)).page
        const tabB = (await load(user)).page
        for (let i = 0; i < 3; i++) await user.post('/increment', inPage(tabA))
        await user.post('/cart/book', inPage(tabB))
        expect(await (await user.get('/count', inPage(tabA))).text()).toBe('3')
        expect(await (await user.get('/count', inPage(tabB))).text()).toBe('0')
        expect(await (await user.get('/cart', inPage(tabA))).text()).toBe('book')
    })

    test('an empty page id (a page rendered outside any page scope) names no page, returning or new', async () => {
        const user = client(stateApp())
        expect(await (await user.post('/increment', inPage(''))).text()).toBe('1')
        expect(await (await user.post('/increment', inPage(''))).text()).toBe('2')
    })

    test('requests without a page id share the default scope (the curl scenario)', async () => {
        const user = client(stateApp())
        expect(await user.text('/count')).toBe('0')
        expect(await (await user.post('/increment')).text()).toBe('1')
        expect(await (await user.post('/increment')).text()).toBe('2')
        expect(await user.text('/count')).toBe('2')
    })

    test('a page load resets the default scope too', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        await load(user)
        expect(await user.text('/count')).toBe('0')
    })

    test("a page load resets the default scope even when its page reads no state (the spec's static counter.html)", async () => {
        const app = stateApp().get(
            '/static',
            () => new Response('<p>static</p>', { headers: { 'content-type': 'text/html' } })
        )
        const user = client(app)
        await user.post('/increment')
        await user.post('/theme/dark')
        await user.get('/static', NAVIGATE)
        expect(await (await user.get('/state')).json()).toMatchObject({ count: 0, theme: 'dark' })
    })

    test('htmx requests and fetch() calls are not page loads', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        await user.get('/count', HTMX)
        await user.get('/count', { 'sec-fetch-mode': 'cors', accept: '*/*' })
        await user.get('/count', { accept: '*/*' })
        expect(await user.text('/count')).toBe('1')
    })

    test('without Fetch Metadata, a GET accepting HTML is a page load', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        await user.get('/state', { accept: 'text/html,application/xhtml+xml' })
        expect(await user.text('/count')).toBe('0')
    })

    test('the page_id query parameter names the scope (plain forms, Post/Redirect/Get)', async () => {
        const user = client(stateApp())
        const page = (await load(user)).page
        // A plain form's submission is a navigation too.
        await user.post(withPageId('/increment', page), NAVIGATE)
        await user.post(withPageId('/increment', page), NAVIGATE)
        // The redirect target reloads the page with its id: the scope is adopted, not reset.
        const back = (await (await user.get(withPageId('/state', page), NAVIGATE)).json()) as State
        expect(back).toMatchObject({ count: 2, page })
    })

    test('the page_id query parameter is for browser navigations; scripts send the header', async () => {
        const user = client(stateApp())
        const page = (await load(user)).page
        await user.post(withPageId('/increment', page), { accept: '*/*' })
        expect(await user.text('/count', inPage(page))).toBe('0')
        expect(await user.text('/count')).toBe('1')
    })

    test('on a listening server too (Bun routes the request, not app.handle)', async () => {
        const app = stateApp().listen({ port: 0, hostname: '127.0.0.1' })
        try {
            const origin = `http://127.0.0.1:${app.server?.port}`
            const first = await fetch(`${origin}/state`, { headers: NAVIGATE })
            const cookie = setCookieOf(first) as string
            const { page } = (await first.json()) as State
            const headers = { ...NAVIGATE, cookie }
            await fetch(`${origin}${withPageId('/increment', page)}`, { method: 'POST', headers })
            const back = (await (await fetch(`${origin}${withPageId('/state', page)}`, { headers })).json()) as State
            expect(back).toMatchObject({ count: 1, page })
        } finally {
            await app.stop()
        }
    })

    test.each([
        ['garbage', 'not-a-page-id'],
        ['a well-formed forgery', 'AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
        ['__proto__', '__proto__']
    ])('a forged page id (%s) is refused, changing nothing; a page load naming it starts afresh', async (_, forged) => {
        const user = client(stateApp())
        await user.post('/increment')
        expect((await user.post('/increment', inPage(forged))).status).toBe(409)
        expect(await user.text('/count')).toBe('1')
        const page = (await (
            await user.get(`/state?${PAGE_PARAM}=${encodeURIComponent(forged)}`, NAVIGATE)
        ).json()) as State
        expect(page.page).not.toBe(forged)
        expect(page.count).toBe(0)
    })

    test("another session's page id is refused with 409, not read as the default scope; a page load naming it starts afresh", async () => {
        const app = stateApp()
        const alice = client(app)
        const bob = client(app)
        const alicePage = (await load(alice)).page
        await alice.post('/increment', inPage(alicePage))
        await bob.post('/increment')
        const refused = await bob.get('/count', inPage(alicePage))
        expect(refused.status).toBe(409)
        expect(await refused.text()).toContain('This page is out of date')
        expect(await (await bob.get(`/state?${PAGE_PARAM}=${alicePage}`, NAVIGATE)).json()).toMatchObject({ count: 0 })
        expect(await (await alice.get('/count', inPage(alicePage))).text()).toBe('1')
    })

    test('after a login or a logout in one tab, the other tabs ask to be reloaded instead of sharing one scope', async () => {
        for (const end of ['/login', '/logout']) {
            const user = client(stateApp())
            const [first, second] = [(await load(user)).page, (await load(user)).page]
            await user.post('/increment', inPage(first))
            await user.post(end, inPage(second))
            for (const page of [first, second]) {
                const response = await user.post('/increment', inPage(page))
                expect(response.status).toBe(409)
            }
            // A request that names no page still works, in the default scope.
            expect(await (await user.post('/increment')).text()).toBe('1')
        }
    })

    test("after the session expired, its page's htmx requests are out of date; a plain form starts a new session", async () => {
        const clock = manualClock()
        const app = stateApp({ now: clock.now, idleTimeout: 60 })
        const user = client(app)
        const page = (await load(user)).page
        await user.post('/increment', inPage(page))
        clock.advance(61)
        const expired = user.cookie
        expect((await user.post('/increment', inPage(page))).status).toBe(409)
        // A new visitor's page id is read from the header only: the plain form's is not looked at.
        const form = await client(app, expired).post(`/increment?${PAGE_PARAM}=${encodeURIComponent(page)}`, FORM_POST)
        expect(form.status).toBe(200)
        expect(form.headers.get('set-cookie')).toStartWith('user_session_id=')
    })

    test("a page's request that brings no session cookie says so, and that the browser may refuse it", async () => {
        const app = stateApp().post('/zero', ({ scopedStore }) => {
            scopedStore.count = 0
            return 'zero'
        })
        const page = (await load(client(app))).page
        const cookieMissing =
            'its session cookie did not come with the request (signed out, expired, or refused by your browser)'
        // Cookies blocked, or a Secure cookie refused over plain http: a reload alone would not help.
        // Whether the page's scope is read, only written, or reset.
        for (const path of ['/increment', '/zero', '/reset']) {
            const cookieless = await client(app).post(path, inPage(page))
            expect([path, cookieless.status]).toEqual([path, 409])
            expect(await cookieless.text()).toContain(cookieMissing)
        }
        // Signed out in another tab: the logout cleared the cookie.
        const user = client(app)
        const [tab, other] = [(await load(user)).page, (await load(user)).page]
        await user.post('/logout', inPage(other))
        expect(user.cookie).toBe('')
        expect(await (await user.post('/increment', inPage(tab))).text()).toContain(cookieMissing)
        // A cookie that came but names no live session: the session ended.
        for (const cookie of ['user_session_id=forged', 'user_session_id=']) {
            const ended = await client(app, cookie).post('/increment', inPage(page))
            expect(ended.status).toBe(409)
            expect(await ended.text()).toContain('its session has ended')
        }
    })

    test('a page of an ended session still reaches the preserved keys, a full reset, a login and a logout', async () => {
        const user = client(stateApp())
        const [stale, current] = [(await load(user)).page, (await load(user)).page]
        await user.post('/login', inPage(current))
        expect(await (await user.post('/theme/dark', inPage(stale))).text()).toBe('dark')
        expect((await user.post('/full-reset', inPage(stale))).status).toBe(200)
        expect((await user.post('/reset', inPage(stale))).status).toBe(409)
        expect((await user.post('/login', inPage(stale))).status).toBe(200)
        const logout = await user.post('/logout', inPage(stale))
        expect(logout.status).toBe(200)
        expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
    })

    test('a response in a page scope may not be stored by any cache, unless the handler says so', async () => {
        const app = stateApp()
            .get('/cached', ({ set }) => {
                set.headers['cache-control'] = 'private, max-age=60'
                return 'cached'
            })
            .get('/Cached', ({ set }) => {
                set.headers['Cache-Control'] = 'private, max-age=60'
                return 'cached'
            })
            .get('/response', () => new Response('cached', { headers: { 'cache-control': 'max-age=5' } }))
        const user = client(app)
        const page = (await load(user)).page
        const cacheControl = async (path: string, headers: Record<string, string>) =>
            (await user.get(path, headers)).headers.get('cache-control')
        expect(await cacheControl('/count', NAVIGATE)).toBe('no-store')
        expect(await cacheControl('/count', inPage(page))).toBe('no-store')
        expect(await cacheControl(withPageId('/count', page), NAVIGATE)).toBe('no-store')
        // No page scope named (API calls, curl): the application decides.
        expect(await cacheControl('/count', HTMX)).toBeNull()
        expect(await cacheControl('/cached', NAVIGATE)).toBe('private, max-age=60')
        expect(await cacheControl('/Cached', NAVIGATE)).toBe('private, max-age=60')
        expect(await cacheControl('/response', NAVIGATE)).toBe('max-age=5')
    })

    test('a response in a page scope may not be stored with serializeRequests either (the locking path)', async () => {
        const user = client(stateApp({ serializeRequests: true }))
        await user.post('/increment')
        const loaded = await user.get('/state', NAVIGATE)
        expect(loaded.headers.get('cache-control')).toBe('no-store')
        const { page } = (await loaded.json()) as { page: string }
        expect((await user.post('/increment', inPage(page))).headers.get('cache-control')).toBe('no-store')
    })

    test('at most maxPages page scopes are kept per session, least recently written dropped first', async () => {
        const user = client(stateApp({ maxPages: 3 }))
        const pages: string[] = []
        for (let i = 0; i < 4; i++) {
            const page = (await load(user)).page
            pages.push(page)
            for (let n = 0; n <= i; n++) await user.post('/increment', inPage(page))
        }
        const counts = await Promise.all(pages.map(async (page) => (await user.get('/count', inPage(page))).text()))
        expect(counts).toEqual(['0', '2', '3', '4'])
    })

    test('a preserved key changed from a page whose id does not verify writes no scope, the default one neither', async () => {
        const user = client(stateApp({ maxPages: 2 }))
        const tabA = (await load(user)).page
        const tabB = (await load(user)).page
        await user.post('/increment')
        await user.post('/increment', inPage(tabA))
        expect((await user.post('/theme/dark', inPage('forged.page-id'))).status).toBe(200)
        // The default scope is still the least recently written: tab B's first value drops it, not tab A's.
        await user.post('/increment', inPage(tabB))
        expect(await user.text('/count', inPage(tabA))).toBe('1')
        expect(await user.text('/count')).toBe('0')
    })

    test('a page load that only shows its state takes no page scope from a tab that holds values', async () => {
        const user = client(stateApp({ maxPages: 2 }))
        const written = (await load(user)).page
        await user.post('/increment', inPage(written))
        // The default scope, which the next page load drops: that load saves, yet writes no page of its own.
        await user.post('/increment')
        await load(user)
        const other = (await load(user)).page
        await user.post('/increment', inPage(other))
        expect(await (await user.get('/count', inPage(written))).text()).toBe('1')
    })

    test('a page load that sets its keys to their defaults takes no page scope from a tab that holds values', async () => {
        // A page that sets its view from the address on every load (`store.view = viewOf(query)`), mostly to the default.
        const app = stateApp({ maxPages: 2 }).get('/fresh', ({ scopedStore }) => {
            scopedStore.count = 0
            scopedStore.tags = []
            return 'fresh'
        })
        const user = client(app)
        const written = (await load(user)).page
        await user.post('/increment', inPage(written))
        for (let i = 0; i < 3; i++) await user.get('/fresh', NAVIGATE)
        expect(await (await user.get('/count', inPage(written))).text()).toBe('1')
    })

    test("over maxStateBytes, other tabs' page scopes are dropped, least recently written first", async () => {
        const note = 'n'.repeat(150)
        const user = client(stateApp({ maxStateBytes: 700 }))
        const tabs: string[] = []
        for (let i = 0; i < 5; i++) {
            const page = (await load(user)).page
            tabs.push(page)
            expect((await user.post(`/tag/${note}${i}`, inPage(page))).status).toBe(200)
        }
        const tags = await Promise.all(tabs.map(async (page) => (await user.get('/tags', inPage(page))).text()))
        // About four notes fit: the first tab's went to make room for the fifth's.
        expect(tags[0]).toBe('')
        expect(tags.slice(2)).toEqual([`${note}2`, `${note}3`, `${note}4`])
        // One tab's state alone over the limit is still refused, and nothing is dropped for it.
        const response = await user.post(`/tag/${'x'.repeat(800)}`, inPage(tabs[4] as string))
        expect(response.status).toBe(413)
        expect(await (await user.get('/tags', inPage(tabs[3] as string))).text()).toBe(`${note}3`)
    })

    test('resetScopedStore() resets the page scope; (true) resets both scopes', async () => {
        const user = client(stateApp())
        const page = (await load(user)).page
        await user.post('/increment', inPage(page))
        await user.post('/theme/dark', inPage(page))
        await user.post('/reset', inPage(page))
        expect(await (await user.get('/state', inPage(page))).json()).toMatchObject({ count: 0, theme: 'dark' })
        await user.post('/increment', inPage(page))
        await user.post('/full-reset', inPage(page))
        expect(await (await user.get('/state', inPage(page))).json()).toMatchObject({ count: 0, theme: 'light' })
    })

    test('resetScopedStore(true) then a login: the preserved keys stay reset, and a write between them is kept', async () => {
        const app = stateApp()
            .post('/reset-and-login', ({ resetScopedStore, regenerateScopedSession }) => {
                resetScopedStore(true)
                regenerateScopedSession()
                return 'ok'
            })
            .post('/reset-write-and-login', ({ resetScopedStore, regenerateScopedSession, scopedStore }) => {
                resetScopedStore(true)
                scopedStore.theme = 'blue'
                regenerateScopedSession()
                return 'ok'
            })
        for (const [path, theme] of [
            ['/reset-and-login', 'light'],
            ['/reset-write-and-login', 'blue']
        ]) {
            const user = client(app)
            await user.post('/theme/dark')
            await user.post('/cart/apple')
            await user.post(path as string)
            expect(await (await user.get('/state')).json()).toMatchObject({ theme, cart: { items: [] } })
        }
    })

    test("resetScopedStore(true) resets everything: the user's other tabs and the default scope too", async () => {
        const user = client(stateApp())
        const [first, second] = [(await load(user)).page, (await load(user)).page]
        for (const headers of [inPage(first), inPage(second), {}]) await user.post('/increment', headers)
        await user.post('/full-reset', inPage(first))
        for (const headers of [inPage(second), {}])
            expect(await (await user.get('/state', headers)).json()).toMatchObject({ count: 0 })
    })
})
