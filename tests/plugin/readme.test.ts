/**
 * Every TypeScript sample of the plugin's README, guide and recipes runs here as written.
 */
import { afterAll, describe, expect, spyOn, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { type ScopedStateSize, scopedState } from '../../plugins/scoped-state'
import { ScopedSession } from '../../plugins/scoped-state/session'
import { client, FORM_TYPE, HTMX, inPage, NAVIGATE, sessionIdOf } from '../helpers/client'
import { type Grant, redeem } from '../helpers/fake-provider'
import { SECRET } from '../helpers/plugin-app'
import { counterSample, loadSample, removeSamples, samples, writeSample } from '../helpers/readme-samples'
import { run } from '../helpers/run'

afterAll(removeSamples)

describe('plugins/scoped-state/README.md, GUIDE.md and RECIPES.md', () => {
    const file = 'plugins/scoped-state/README.md'
    const guide = 'plugins/scoped-state/GUIDE.md'
    const recipes = 'plugins/scoped-state/RECIPES.md'

    test('has exactly the samples this file exercises', async () => {
        expect((await samples(file)).length).toBe(3)
        expect((await samples(guide)).length).toBe(4)
        expect((await samples(recipes)).length).toBe(9)
    })

    test('the 15-line example', async () => {
        await counterSample((await loadSample(file, 0)).app)
    })

    test('login regenerates the session, logout destroys it', async () => {
        const { app } = await loadSample(file, "'/logout'")
        const user = client(app)
        const login = await user.post('/login')
        expect(login.status).toBe(303)
        const first = user.cookie
        expect(first).toStartWith('user_session_id=')
        await user.post('/login')
        expect(user.cookie).not.toBe(first)
        // htmx gets a full page load instead of a redirect it would follow inside fetch().
        const htmx = await user.post('/login', { 'hx-request': 'true' })
        expect(htmx.status).toBe(200)
        expect(htmx.headers.get('hx-redirect')).toBe('/')
        const logout = await user.post('/logout')
        expect(logout.status).toBe(303)
        expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
        expect(user.cookie).toBe('')
    })

    test('the CSRF check: 403 to an unsafe request from another site, by Sec-Fetch-Site or Origin; the rest pass', async () => {
        const { refuseCrossSite } = await loadSample(file, 'refuseCrossSite')
        const app = new Elysia()
            .use(refuseCrossSite)
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .get('/count', ({ scopedStore }) => scopedStore.count)
            .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        const statusOf = async (method: string, headers: Record<string, string>) =>
            (
                await app.handle(
                    new Request(`http://localhost${method === 'GET' ? '/count' : '/increment'}`, { method, headers })
                )
            ).status
        for (const [method, headers, status] of [
            ['POST', { 'sec-fetch-site': 'cross-site' }, 403],
            ['POST', { 'sec-fetch-site': 'same-site' }, 403],
            ['POST', { 'sec-fetch-site': 'same-origin' }, 200],
            ['POST', { 'sec-fetch-site': 'none' }, 200],
            ['POST', { origin: 'https://evil.example' }, 403],
            ['POST', { origin: 'null' }, 403],
            ['POST', { origin: 'http://localhost' }, 200],
            // Over https behind a proxy, a page of the same host over plain http is another origin.
            ['POST', { origin: 'http://localhost', 'x-forwarded-proto': 'https' }, 403],
            ['POST', { origin: 'https://localhost', 'x-forwarded-proto': 'https' }, 200],
            // Neither header: no browser form (curl, a script).
            ['POST', {}, 200],
            ['GET', { 'sec-fetch-site': 'cross-site' }, 200]
        ] as const)
            expect({ method, headers, status: await statusOf(method, headers) }).toEqual({ method, headers, status })
    })

    test('the types named apart: a store helper, a handler, options', async () => {
        const { setup, tagCount, increment, options } = await loadSample(guide, 'ScopedContext')
        const app = new Elysia()
            .use(scopedState(setup, { ...options, secret: SECRET }))
            .post('/increment', increment)
            .post('/tag', ({ scopedStore }) => {
                scopedStore.tags.push('new')
                return tagCount(scopedStore)
            })
        const user = client(app)
        expect(await (await user.post('/increment')).text()).toBe('1')
        expect(await (await user.post('/increment')).text()).toBe('2')
        expect(await (await user.post('/tag')).text()).toBe('1')
    })

    test('a stored file: the one it replaced deleted once saved, even if a later hook fails (500); the new one when the save fails (413); the last one when its session expires', async () => {
        const folder = mkdtempSync(join(tmpdir(), 'avatars-'))
        process.env.AVATAR_DIR = folder
        try {
            const { app, forgetSession } = await loadSample(recipes, 'unlink')
            // A mapResponse runs after every afterHandle hook, the save included. Elysia runs it again
            // on the error's response: it throws the first time only.
            const failed = new WeakSet<Request>()
            const failingAfterSave = new Elysia()
                .mapResponse({ as: 'global' }, ({ request }) => {
                    if (!request.headers.has('x-fail-after-save') || failed.has(request)) return
                    failed.add(request)
                    throw new Error('a hook after the save failed')
                })
                .use(app)
            const user = client(failingAfterSave)
            const upload = async (name: string, headers: Record<string, string> = {}) => {
                const form = new FormData()
                form.append('avatar', new File(['image'], name))
                const answer = await user.post('/avatar', headers, form)
                // The hook runs after the response, and deletes without being awaited: one file is left, in 5 s at most.
                for (const deadline = Date.now() + 5_000; readdirSync(folder).length !== 1 && Date.now() < deadline; )
                    await Bun.sleep(5)
                return answer.status
            }
            expect(await upload('me.png')).toBe(200)
            const [first] = readdirSync(folder)
            expect(await upload('me again.png')).toBe(200)
            const [second] = readdirSync(folder)
            expect(second).not.toBe(first)
            // A name that takes the state over maxStateBytes (16 KiB): not saved, its file gone too.
            expect(await upload(`${'x'.repeat(20_000)}.png`)).toBe(413)
            expect(readdirSync(folder)).toEqual([second as string])
            // Saved, then answered 500: the state names the new file, which stays, and the next upload replaces it.
            expect(await upload('third.png', { 'x-fail-after-save': '1' })).toBe(500)
            const [third] = readdirSync(folder)
            expect(third).not.toBe(second)
            expect(await upload('fourth.png')).toBe(200)
            expect(readdirSync(folder)).not.toContain(third)
            // The store tells of the session's expiry: the file its state named goes, not another's.
            const [usersFile] = readdirSync(folder)
            const form = new FormData()
            form.append('avatar', new File(['image'], 'other.png'))
            expect((await client(app).post('/avatar', {}, form)).status).toBe(200)
            const othersFile = readdirSync(folder).find((file) => file !== usersFile)
            forgetSession(sessionIdOf(user.cookie))
            for (const deadline = Date.now() + 5_000; readdirSync(folder).length !== 1 && Date.now() < deadline; )
                await Bun.sleep(5)
            expect(readdirSync(folder)).toEqual([othersFile as string])
        } finally {
            delete process.env.AVATAR_DIR
            rmSync(folder, { recursive: true, force: true })
        }
    })

    test('a new version of the setup migrates the state saved under the old one', async () => {
        // Version 1, on the memory store and development secret that instances given none share.
        const first = new Elysia()
            .use(scopedState({ cart: { value: [] as string[], preserve: true } }))
            .post('/cart/:id', ({ scopedStore, params }) => scopedStore.cart.push(params.id))
        const user = client(first)
        await user.post('/cart/mug')
        await user.post('/cart/pen')
        const { app } = await loadSample(guide, 'CartLine')
        expect(await (await client(app, user.cookie).get('/cart')).json()).toEqual([
            { id: 'mug', quantity: 1 },
            { id: 'pen', quantity: 1 }
        ])
    })

    describe('a form of several steps', () => {
        type User = ReturnType<typeof client>
        type Booking = { step: string; draft: { id: string; revision: number } | null; bookings: unknown[] }
        const start = async (user: User) => {
            const load = await user.get('/book', NAVIGATE)
            expect(load.status).toBe(303)
            const address = load.headers.get('location') as string
            return { address, pageId: new URL(address, 'http://localhost').searchParams.get('page_id') as string }
        }
        const send = async (user: User, pageId: string, path: string, fields: Record<string, string | number>) => {
            const form = new URLSearchParams(Object.entries(fields).map(([key, value]) => [key, String(value)]))
            return user.post(path, { ...inPage(pageId), ...FORM_TYPE }, form.toString())
        }
        const shown = async (user: User, address: string): Promise<Booking> =>
            (await user.get(address, NAVIGATE)).json()
        /** A user with the date and the party size answered, on the page the confirm form is shown in. */
        const answered = async (app: { handle: (request: Request) => Promise<Response> }) => {
            const user = client(app)
            const { address, pageId } = await start(user)
            expect(await (await send(user, pageId, '/book/date', { date: '2030-05-01' })).text()).toBe('party')
            expect(await (await send(user, pageId, '/book/party', { party: 4 })).text()).toBe('confirm')
            return { user, address, pageId }
        }

        test('a reload keeps the answers; a confirm sent twice books once', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const { user, address, pageId } = await answered(app)
            const { step, draft } = await shown(user, address)
            expect(step).toBe('confirm')
            const confirm = { id: draft?.id ?? '', revision: draft?.revision ?? 0 }
            for (let time = 0; time < 2; time++)
                expect(await (await send(user, pageId, '/book/confirm', confirm)).text()).toBe('booked')
            expect((await shown(user, address)).bookings).toEqual([{ id: confirm.id, date: '2030-05-01', party: 4 }])
        })

        test('a second tab on the same address cannot confirm answers it did not show', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const { user, address, pageId } = await answered(app)
            const { draft } = await shown(user, address)
            const duplicate = client(app, user.cookie)
            await send(duplicate, pageId, '/book/party', { party: 9 })
            const stale = await send(user, pageId, '/book/confirm', {
                id: draft?.id ?? '',
                revision: draft?.revision ?? 0
            })
            expect(stale.status).toBe(409)
            const now = (await shown(duplicate, address)).draft
            const confirmed = await send(duplicate, pageId, '/book/confirm', {
                id: now?.id ?? '',
                revision: now?.revision ?? 0
            })
            expect(await confirmed.text()).toBe('booked')
            expect((await shown(user, address)).bookings).toEqual([{ id: draft?.id, date: '2030-05-01', party: 9 }])
        })

        test('a day not on the calendar, or a party of one and a half, is refused', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const user = client(app)
            const { pageId } = await start(user)
            for (const date of ['2030-02-31', '2030/5/1', 'May 1, 2030'])
                expect((await send(user, pageId, '/book/date', { date })).status).toBe(422)
            expect((await send(user, pageId, '/book/date', { date: '2032-02-29' })).status).toBe(200)
            expect((await send(user, pageId, '/book/party', { party: 1.5 })).status).toBe(422)
        })

        test('a GET that is no page load (a script, curl) is answered, not sent to its own address', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const user = client(app)
            // curl's, then htmx's from a page that sends no page id.
            for (const headers of [{ accept: '*/*' }, HTMX]) {
                const response = await user.get('/book', headers)
                expect(response.status).toBe(200)
                expect(((await response.json()) as Booking).step).toBe('date')
            }
        })

        test('a step whose earlier answers are gone is refused', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const user = client(app)
            const { pageId } = await start(user)
            expect((await send(user, pageId, '/book/party', { party: 4 })).status).toBe(409)
        })

        test('an address naming a page of another session is sent to its own, but not without the cookie', async () => {
            const { app } = await loadSample(recipes, '/book/confirm')
            const { address } = await answered(app)
            // The session changed since the address was given (a sign-in elsewhere, expiry).
            const later = client(app)
            await start(later)
            const load = await later.get(address, NAVIGATE)
            expect(load.status).toBe(303)
            const own = load.headers.get('location') as string
            expect(own).not.toBe(address)
            expect((await later.get(own, NAVIGATE)).status).toBe(200)
            // A browser refusing the cookie gets a new page id each time: redirected again, it never arrives.
            const refusing = client(app)
            const first = await refusing.get('/book', NAVIGATE)
            refusing.cookie = ''
            expect((await refusing.get(first.headers.get('location') as string, NAVIGATE)).status).toBe(200)
        })
    })

    describe('a text editor with an undo history', () => {
        type User = ReturnType<typeof client>
        type Doc = { text: string; revision: number; pageId: string }
        const open = async (user: User): Promise<Doc> => (await user.get('/editor', NAVIGATE)).json()
        const send = (user: User, pageId: string, path: string, fields: Record<string, string | number>) => {
            const form = new URLSearchParams(Object.entries(fields).map(([key, value]) => [key, String(value)]))
            return user.post(path, { ...inPage(pageId), ...FORM_TYPE }, form.toString())
        }
        const edit = async (user: User, page: Doc, text: string) => {
            const answer = await send(user, page.pageId, '/editor/edit', { text, revision: page.revision })
            if (answer.status !== 200) return answer
            Object.assign(page, await answer.json())
            return answer
        }

        test('an edit is undone; a text that outgrows the limit trims the oldest undo steps, then is refused', async () => {
            const { app } = await loadSample(recipes, "'/editor/undo'")
            const user = client(app)
            const page = await open(user)
            for (const text of ['first', 'x'.repeat(6_000), 'y'.repeat(6_000)])
                expect((await edit(user, page, text)).status).toBe(200)
            // A third long text: with the two before it in the history, over 16 KiB; the oldest steps go.
            expect((await edit(user, page, 'z'.repeat(6_000))).status).toBe(200)
            const undo = async () => {
                const answer = await send(user, page.pageId, '/editor/undo', { revision: page.revision })
                Object.assign(page, await answer.json())
                return page.text
            }
            expect(await undo()).toBe('y'.repeat(6_000))
            // 'x…', 'first' and the empty text before them were dropped to make room.
            expect(await undo()).toBe('y'.repeat(6_000))
            const tooLong = await edit(user, page, 'w'.repeat(17_000))
            expect(tooLong.status).toBe(413)
            expect(await tooLong.text()).toBe('This text is too long to keep: shorten it.')
            expect(await undo()).toBe('y'.repeat(6_000))
        })

        test('a paste that drops hundreds of undo steps counts the state twice, and keeps as many of the newest as fit', async () => {
            const { app } = await loadSample(recipes, "'/editor/undo'")
            const user = client(app)
            const page = await open(user)
            for (let step = 0; step < 300; step++) expect((await edit(user, page, `step ${step}`)).status).toBe(200)
            const counted = spyOn(ScopedSession.prototype, 'size')
            let saved: ScopedStateSize | undefined
            try {
                expect((await edit(user, page, 'p'.repeat(16_000))).status).toBe(200)
                expect(counted).toHaveBeenCalledTimes(2)
                // The second count, once the steps went: what the save stored.
                saved = counted.mock.results[1]?.value as ScopedStateSize | undefined
            } finally {
                counted.mockRestore()
            }
            let kept = 0
            for (; kept < 300; kept++) {
                const answer = await send(user, page.pageId, '/editor/undo', { revision: page.revision })
                const { text, revision } = await answer.json()
                if (revision === page.revision) break
                expect(text).toBe(`step ${299 - kept}`)
                Object.assign(page, { text, revision })
            }
            // The step before the oldest one kept, its JSON and a comma, would not have fit.
            expect(kept).toBeGreaterThan(0)
            if (!saved) throw new Error('the edit counted no state')
            expect(saved.ownBytes).toBeLessThanOrEqual(saved.limit)
            expect(saved.ownBytes + Buffer.byteLength(JSON.stringify(`step ${299 - kept}`)) + 1).toBeGreaterThan(
                saved.limit
            )
        })

        test('a tab whose scope was dropped for another tab is told to reload, not shown an empty document', async () => {
            const { app } = await loadSample(recipes, "'/editor/undo'")
            const user = client(app)
            const first = await open(user)
            expect((await edit(user, first, 'a'.repeat(9_000))).status).toBe(200)
            const second = await open(user)
            // Both texts are over 16 KiB: the save drops the first tab's scope to fit.
            expect((await edit(user, second, 'b'.repeat(9_000))).status).toBe(200)
            const dropped = await edit(user, first, 'a'.repeat(9_001))
            expect(dropped.status).toBe(409)
            expect(await dropped.text()).toBe('This page was reset to make room for your other tabs: reload it.')
            const reloaded = await open(user)
            expect((await edit(user, reloaded, 'fresh')).status).toBe(200)
        })

        test('a tab on the same page id that did not see the last change cannot overwrite it', async () => {
            const { app } = await loadSample(recipes, "'/editor/undo'")
            const user = client(app)
            const page = await open(user)
            expect((await edit(user, page, 'one')).status).toBe(200)
            const duplicate = { ...page }
            expect((await edit(user, page, 'two')).status).toBe(200)
            const stale = await edit(user, duplicate, 'other')
            expect(stale.status).toBe(409)
            expect(await stale.text()).toBe('This document changed in another tab: reload it.')
        })
    })

    test('signing a user out everywhere: a password change ends the other sessions, not this one', async () => {
        const { app } = await loadSample(recipes, 'generations')
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/login')
        await phone.post('/login')
        expect(await phone.text('/me')).toBe('alice')
        const before = laptop.cookie
        expect(await (await laptop.post('/password')).text()).toBe('password changed')
        expect(laptop.cookie).not.toBe(before)
        expect(await laptop.text('/me')).toBe('alice')
        const ended = phone.cookie
        expect(await phone.text('/me')).toBe('signed out')
        // It goes on as a new visitor, and its old cookie reaches nothing; signing in again works.
        expect(phone.cookie).not.toBe('')
        expect(phone.cookie).not.toBe(ended)
        expect(await client(app, ended).text('/me')).toBe('signed out')
        expect(await (await phone.post('/password')).text()).toBe('signed out')
        await phone.post('/login')
        expect(await phone.text('/me')).toBe('alice')
        expect(await laptop.text('/me')).toBe('alice')
    })

    test('erasing an account: every device signed out, every record deleted at once, the old cookies reach nothing', async () => {
        const { app, accounts, store } = await loadSample(recipes, 'accounts.delete(user)')
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/cart/mug')
        await laptop.post('/login')
        await phone.post('/login')
        const data = await (await phone.get('/my-data')).json()
        // The laptop's cart, put in before its sign-in, read from the phone.
        expect(data).toEqual({
            user: 'alice',
            email: 'alice@example.test',
            devices: [
                { session: { user: 'alice', cart: ['mug'] }, pages: [] },
                { session: { user: 'alice', cart: [] }, pages: [] }
            ]
        })
        const [laptopCookie, phoneCookie] = [laptop.cookie, phone.cookie]
        expect(store.stats().sessions).toBe(2)
        expect(await (await phone.post('/erase')).text()).toBe('erased')
        // The laptop's record too, before any request of its own.
        expect(store.stats().sessions).toBe(0)
        expect(accounts.size).toBe(0)
        for (const cookie of [laptopCookie, phoneCookie]) {
            expect(await client(app, cookie).text('/me')).toBe('signed out')
            expect((await client(app, cookie).get('/my-data')).status).toBe(401)
        }
    })

    test('erasing an account: a sign-in on another device during the erase is ended with the rest', async () => {
        const { app, accounts, store } = await loadSample(recipes, 'accounts.delete(user)')
        const [laptop, phone, tablet] = [client(app), client(app), client(app)]
        await laptop.post('/login')
        await phone.post('/login')
        await tablet.post('/cart/mug')
        // The tablet's sign-in lands while the erase awaits the laptop's end.
        const [erased] = await Promise.all([phone.post('/erase'), tablet.post('/login')])
        expect(await erased.text()).toBe('erased')
        expect(accounts.size).toBe(0)
        expect(store.stats().sessions).toBe(0)
        expect(await tablet.text('/me')).toBe('signed out')
    })

    describe('signing in with a provider', async () => {
        const { app, provider } = await loadSample(recipes, 'response_mode')
        /** What the provider was asked at /authorize, by code: it checks them at /token, and answers once `held` settles. */
        const grants = new Map<string, Grant & { held?: Promise<void> }>()
        const server = Bun.serve({
            port: 0,
            hostname: '127.0.0.1',
            fetch: async (request) => {
                const { grant, response } = await redeem(grants, request, provider)
                await grant?.held
                return response
            }
        })
        provider.token = `http://127.0.0.1:${server.port}/token`
        afterAll(() => server.stop(true))

        /** The provider's page posting the callback's fields back (`response_mode=form_post`), from its own site. */
        const formPost = (fields: URLSearchParams) =>
            app.handle(
                new Request('http://localhost/login/provider/callback', {
                    method: 'POST',
                    headers: {
                        ...NAVIGATE,
                        'sec-fetch-site': 'cross-site',
                        'content-type': 'application/x-www-form-urlencoded'
                    },
                    body: fields
                })
            )
        type Browser = ReturnType<typeof client>
        /** Leaves for the provider, which approves `sub` at once: the callback's address. */
        const leave = async (browser: Browser, sub = 'ada', query = '', held?: Promise<void>) => {
            const sent = await browser.post(`/login/provider?${query}`, {
                ...NAVIGATE,
                'sec-fetch-site': 'same-origin'
            })
            expect(sent.status).toBe(303)
            const asked = new URL(sent.headers.get('location') ?? '').searchParams
            const code = crypto.randomUUID()
            grants.set(code, {
                challenge: asked.get('code_challenge') ?? '',
                nonce: asked.get('nonce') ?? '',
                sub,
                held
            })
            return `/login/provider/callback?${new URLSearchParams({ code, state: asked.get('state') ?? '' })}`
        }
        /** The callback as the browser follows it back: a top-level GET from the provider's site. */
        const back = (browser: Browser, callback: string) =>
            browser.get(callback, { ...NAVIGATE, 'sec-fetch-site': 'cross-site' })

        test('two tabs each finish their own sign-in; the session id changes at each', async () => {
            const browser = client(app)
            const [first, second] = [await leave(browser), await leave(browser, 'ada', 'returnTo=/cart')]
            const before = browser.cookie
            expect((await back(browser, first)).headers.get('location')).toBe('/')
            expect(browser.cookie).not.toBe(before)
            expect(await browser.text('/me')).toBe('ada')
            expect((await back(browser, second)).headers.get('location')).toBe('/cart')
        })

        test('a callback sent again, or by another browser, finds nothing to finish', async () => {
            const browser = client(app)
            const callback = await leave(browser)
            const stranger = client(app)
            expect((await back(stranger, callback)).status).toBe(400)
            expect(await stranger.text('/me')).toBe('signed out')
            expect((await back(browser, callback)).status).toBe(303)
            expect((await back(browser, callback)).status).toBe(400)
        })

        test('a callback sent twice at once (a double click) signs in: the copy refused the code saves nothing', async () => {
            const browser = client(app)
            const { promise: held, resolve: answer } = Promise.withResolvers<void>()
            const callback = await leave(browser, 'ada', '', held)
            // The first copy has the code, its token held at the provider; the second is refused it at once.
            const first = back(browser, callback)
            expect((await back(browser, callback)).status).toBe(400)
            answer()
            expect((await first).status).toBe(303)
            expect(await browser.text('/me')).toBe('ada')
        })

        test("another site cannot start sign-ins that push the user's own off the list", async () => {
            // The check that every app makes before its routes (the README's "Refuse cross-site unsafe requests").
            const guarded = new Elysia()
                .onRequest(({ request, status }) => {
                    const site = request.headers.get('sec-fetch-site')
                    if (request.method === 'POST' && site && site !== 'same-origin' && site !== 'none')
                        return status(403)
                })
                .use(app)
            const browser = client(guarded)
            const callback = await leave(browser)
            const fromAnotherSite = { ...NAVIGATE, 'sec-fetch-site': 'cross-site' }
            for (let start = 0; start < 5; start++) {
                await browser.get('/login/provider', fromAnotherSite)
                expect((await browser.post('/login/provider', fromAnotherSite)).status).toBe(403)
            }
            expect((await back(browser, callback)).status).toBe(303)
            expect(await browser.text('/me')).toBe('ada')
        })

        test('a sign-in cancelled at the provider is taken off the list, and signs nobody in (both modes)', async () => {
            for (const mode of ['', 'mode=form_post']) {
                const browser = client(app)
                const callback = await leave(browser, 'ada', mode)
                const state = new URL(callback, 'http://localhost').searchParams.get('state') ?? ''
                const cancel = new URLSearchParams({ error: 'access_denied', state })
                let cancelled = `/login/provider/callback?${cancel}`
                if (mode) {
                    const posted = await formPost(cancel)
                    expect(posted.status).toBe(303)
                    cancelled = posted.headers.get('location') ?? ''
                }
                const answer = await back(browser, cancelled)
                expect(answer.status).toBe(400)
                expect(await answer.text()).toBe('Sign-in cancelled: you are not signed in.')
                expect(await browser.text('/me')).toBe('signed out')
                // Taken off the list: a code for that state, were one to come now, finds nothing.
                expect((await back(browser, callback)).status).toBe(400)
                expect(await browser.text('/me')).toBe('signed out')
            }
        })

        test('another site as returnTo comes back to the home page', async () => {
            // A browser drops the tab from a Location (`/\t/evil.example/` is `//evil.example/`), as from any address.
            for (const returnTo of [
                '//evil.example/',
                'https://evil.example/',
                '/\\evil.example/',
                '/\t/evil.example/',
                // Their dot segments resolved, these paths start with `//`, which a browser reads as a host.
                '/.//evil.example/',
                '/a/..//evil.example/',
                '/%2e//evil.example/'
            ]) {
                const browser = client(app)
                const callback = await leave(browser, 'ada', new URLSearchParams({ returnTo }).toString())
                expect((await back(browser, callback)).headers.get('location')).toBe('/')
            }
        })

        test('form_post is handed on to the GET callback, with no session cookie set', async () => {
            const browser = client(app)
            const callback = await leave(browser, 'ada', 'mode=form_post')
            const fields = new URL(callback, 'http://localhost').searchParams
            const posted = await formPost(fields)
            expect(posted.status).toBe(303)
            expect(posted.headers.get('set-cookie')).toBeNull()
            expect((await back(browser, posted.headers.get('location') ?? '')).status).toBe(303)
            expect(await browser.text('/me')).toBe('ada')
        })
    })

    test('the webhook sample does not start without its secret: with a default one, anyone could sign a delivery', async () => {
        const { code, stderr } = await run(['bun', await writeSample(recipes, 'WEBHOOK_SECRET')], import.meta.dir, {
            WEBHOOK_SECRET: ''
        })
        expect(code).not.toBe(0)
        expect(stderr).toContain('WEBHOOK_SECRET')
    })

    test("a webhook of a payment marks the order paid, and of anything else changes nothing; the session's own poll empties the cart of it, once", async () => {
        process.env.WEBHOOK_SECRET = 'the secret a payment provider signs with'
        const { app, orders, sign } = await loadSample(recipes, 'WEBHOOK_SECRET')
        const user = client(app)
        await user.post('/cart/mug')
        await user.post('/cart/pen')
        const order = await (await user.post('/checkout')).text()
        await user.post('/cart/cap')
        const deliver = (body: string, signature = sign(body)) =>
            app.handle(
                new Request('http://localhost/webhooks/payment', {
                    method: 'POST',
                    headers: { 'content-type': 'application/json', 'x-signature': signature },
                    body
                })
            )
        const event = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded', order })
        expect((await deliver(event, 'forged')).status).toBe(401)
        expect(await user.text(`/orders/${order}/status`)).toBe('pending')
        // Signed, but no payment: answered 2xx all the same, which a provider does not send again, and nothing changes.
        for (const type of ['payment.failed', 'charge.refunded']) {
            const other = await deliver(JSON.stringify({ id: `evt_${type}`, type, order }))
            expect(other.status).toBe(200)
        }
        expect(orders.get(order)).toEqual({ items: ['mug', 'pen'], paid: false })
        expect(await user.text(`/orders/${order}/status`)).toBe('pending')
        for (const delivery of [event, event]) {
            const answer = await deliver(delivery)
            expect(answer.status).toBe(200)
            // No session for the provider: the route is not under the plugin.
            expect(answer.headers.get('set-cookie')).toBeNull()
        }
        expect(orders.get(order)).toEqual({ items: ['mug', 'pen'], paid: true })
        // A second tab polls too: the ordered items leave the cart once, what was added since stays.
        const tab = client(app, user.cookie)
        expect(await user.text(`/orders/${order}/status`)).toBe('paid')
        expect(await tab.text(`/orders/${order}/status`)).toBe('paid')
        expect(await (await user.post('/cart/hat')).text()).toBe('2')
    })

    test('holds on stock: one cart of two gets the last unit; a remove, a logout, a refused save and the session’s expiry give units back', async () => {
        const { app, free, releaseHoldsOf } = await loadSample(recipes, 'HOLD_MS')
        const [ann, bob] = [client(app), client(app)]
        const race = await Promise.all([ann.post('/cart/poster'), bob.post('/cart/poster')])
        expect(race.map((answer) => answer.status).toSorted()).toEqual([200, 409])
        expect(free('poster')).toBe(0)
        await (race[0]?.status === 200 ? ann : bob).post('/cart/poster/remove')
        expect(free('poster')).toBe(1)

        // Alone, and used in an app of its own, as route modules are.
        for (const handler of [app, new Elysia().use(app)]) {
            const user = client(handler)
            await user.post('/cart/mug')
            await user.post('/cart/mug')
            expect(free('mug')).toBe(3)
            const ended = user.cookie
            await user.post('/logout')
            expect(free('mug')).toBe(5)
            // Another tab still sending the ended cookie: its handler holds a unit, its save is refused.
            expect((await client(handler, ended).post('/cart/mug')).status).toBe(409)
            // The hook runs after `app.handle` has answered.
            await Bun.sleep(0)
            expect(free('mug')).toBe(5)
        }

        // The store tells of a session it dropped: its holds go at once, another cart's stay.
        const [dan, eve] = [client(app), client(app)]
        await dan.post('/cart/poster')
        await eve.post('/cart/mug')
        expect([free('poster'), free('mug')]).toEqual([0, 4])
        releaseHoldsOf(sessionIdOf(dan.cookie))
        expect([free('poster'), free('mug')]).toEqual([1, 4])
    })

    /** Put before a variant's code: `gate`, which its awaiting handler waits on until the test calls `open()`. */
    const GATE = 'export let open = () => {}\nconst gate = new Promise<void>((resolve) => { open = resolve })\n'

    /** Sample `which` of the recipes with each `[text, replacement]` made (the text checked there first), then imported. */
    const variant = async (which: string, name: string, changes: [string, string][], prefix = '') => {
        let code = await Bun.file(await writeSample(recipes, which)).text()
        for (const [text, replacement] of changes) {
            expect(code).toContain(text)
            code = code.replace(text, replacement)
        }
        const path = join(import.meta.dir, `../.readme-samples/${name}.ts`)
        await Bun.write(path, prefix + code)
        return import(path)
    }

    test('holds on stock: a request of the id a login ended, still running, leaves the holds the login carried over', async () => {
        // A page of the cart awaiting your database, as one over the network does: in flight during the login.
        const { app, free, open } = await variant(
            'HOLD_MS',
            'holds-awaiting-page',
            [
                [
                    "    .post('/login'",
                    "    .get('/cart', async ({ scopedStore }) => { await gate; return scopedStore.cart.lines })\n    .post('/login'"
                ]
            ],
            GATE
        )
        const ann = client(app)
        await ann.post('/cart/poster')
        const page = ann.get('/cart')
        expect((await ann.post('/login')).status).toBe(200)
        open()
        expect((await page).status).toBe(200)
        expect(free('poster')).toBe(0)
        expect(await (await client(app).post('/cart/poster')).text()).toBe('Sold out.')
    })

    test('holds on stock: a login whose save evicts its own old id (maxSessions: 1) keeps the holds', async () => {
        const { app, free } = await variant('HOLD_MS', 'holds-one-session', [
            ['memoryStore({ onExpire: releaseHoldsOf })', 'memoryStore({ maxSessions: 1, onExpire: releaseHoldsOf })']
        ])
        const ann = client(app)
        await ann.post('/cart/poster')
        expect((await ann.post('/login')).status).toBe(200)
        expect(free('poster')).toBe(0)
        // What the store evicts later, the cart of the id that replaced it, goes as before.
        await client(app).post('/cart/mug')
        expect(free('poster')).toBe(1)
    })

    test('a background job: one per session, launched once saved, polled until done, gone with the session', async () => {
        const { app, jobs, forgetSession } = await loadSample(recipes, 'jobs/progress')
        /** Polls as the page does, until the answer carries no trigger. */
        const settled = async (user: ReturnType<typeof client>) => {
            for (let poll = 0; poll < 10_000; poll++) {
                const view = await user.text('/jobs/progress')
                if (!view.includes('hx-trigger')) return view
                await Bun.sleep(1)
            }
            throw new Error('the job still runs')
        }
        const ownJobs = (user: ReturnType<typeof client>): { id: string }[] =>
            [...jobs.values()].filter(({ owner }: { owner: string }) => owner === sessionIdOf(user.cookie))

        // Steps that outlast the test's requests: the jobs run until cancelled.
        process.env.JOB_STEP_MS = '600000'
        const ann = client(app)
        const started = await ann.post('/jobs')
        expect(await started.text()).toContain('hx-get="/jobs/progress" hx-trigger="load delay:1s" hx-swap="outerHTML"')
        // A second start while one runs: refused, and nothing more runs.
        expect((await ann.post('/jobs')).status).toBe(409)
        expect(ownJobs(ann)).toHaveLength(1)
        expect(await (await ann.post('/jobs/cancel')).text()).toBe('<div id="job">Cancelled.</div>')
        // Two starts at once: the one whose save is refused (409) runs no work.
        const bob = client(app)
        await bob.get('/jobs/progress')
        const race = await Promise.all([bob.post('/jobs'), bob.post('/jobs')])
        expect(race.map((answer) => answer.status).toSorted()).toEqual([200, 409])
        expect(ownJobs(bob)).toHaveLength(1)
        await bob.post('/jobs/cancel')

        process.env.JOB_STEP_MS = '1'
        await ann.post('/jobs')
        expect(ownJobs(ann)).toHaveLength(1)
        expect(await settled(ann)).toContain('<a href="/jobs/result" download>Download</a>')
        const result = await ann.get('/jobs/result')
        expect(result.headers.get('content-disposition')).toBe('attachment; filename="report.csv"')
        expect(await result.text()).toBe('step,total\n')
        // Another visitor sees none of it.
        const eve = client(app)
        expect(await eve.text('/jobs/progress')).toBe('<div id="job">No report.</div>')
        expect((await eve.get('/jobs/result')).status).toBe(404)

        // A login moves the job to the session's new id, which the store's `onExpire` names.
        await ann.post('/login')
        expect(ownJobs(ann)).toHaveLength(1)
        forgetSession(sessionIdOf(ann.cookie))
        expect(ownJobs(ann)).toHaveLength(0)
        expect(await ann.text('/jobs/progress')).toBe('<div id="job">No report.</div>')

        // A logout, which `onExpire` is not told of, ends the job with the session.
        await bob.post('/jobs')
        await settled(bob)
        const [named] = ownJobs(bob)
        await bob.post('/logout')
        expect(jobs.has(named?.id)).toBe(false)
        expect(named).toBeDefined()
    })

    test('a background job: a poll still running on the id a login ended leaves the job the login carried over', async () => {
        // The sample's poll, awaiting its job table as one over the network does: in flight during the login.
        const { app, jobs, open } = await variant(
            'jobs/progress',
            'background-job-awaiting-poll',
            [
                [
                    ".get('/jobs/progress', ({ scopedStore }) => view(find(scopedStore.job)))",
                    ".get('/jobs/progress', async ({ scopedStore }) => { await gate; return view(find(scopedStore.job)) })"
                ]
            ],
            GATE
        )

        process.env.JOB_STEP_MS = '600000'
        const ann = client(app)
        await ann.post('/jobs')
        const polling = ann.get('/jobs/progress')
        expect((await ann.post('/login')).status).toBe(200)
        open()
        expect((await polling).status).toBe(200)
        expect(jobs.size).toBe(1)
        expect(await ann.text('/jobs/progress')).toContain('<progress max="10" value="0">')
        await ann.post('/jobs/cancel')
    })

    test('testing your routes: two pages of one visitor count apart and share the cart; another visitor has neither', async () => {
        const { createApp, visitor } = await loadSample(guide, 'export const visitor')
        const app = createApp()
        const user = visitor(app)
        const [first, second] = [await user.open('/'), await user.open('/')]
        expect(first).not.toBe(second)
        expect([await user.post('/count', first), await user.post('/count', first)]).toEqual(['1', '2'])
        expect(await user.post('/count', second)).toBe('1')
        expect([await user.post('/cart/hat', first), await user.post('/cart/pen', second)]).toEqual(['1', '2'])
        const other = visitor(app)
        const page = await other.open('/')
        expect([await other.post('/count', page), await other.post('/cart/hat', page)]).toEqual(['1', '1'])
    })

    test('the page wiring: header for htmx, page_id for plain forms', async () => {
        const { CounterPage } = await loadSample(guide, 'CounterPage')
        const html = String(CounterPage({ pageId: 'abc.def', count: 2 }))
        expect(html).toContain('hx-headers:inherited="{&#34;x-page-id&#34;:&#34;abc.def&#34;}"')
        expect(html).toContain('action="/api/increment?page_id=abc.def"')
        expect(html).toContain('<span id="count">2</span>')
    })
})
