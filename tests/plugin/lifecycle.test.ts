/** regenerateScopedSession() at login, destroyScopedSession() at logout. */
import { describe, expect, spyOn, test } from 'bun:test'
import { status } from 'elysia'
import { endedAgo, memoryStore, SESSION_ENDED, type Store } from '../../plugins/scoped-state'
import { asynchronous } from '../helpers/asynchronous-store'
import { client, inPage, maxAgeOf, NAVIGATE, sessionIdOf } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'
import { manualClock, SECRET, stateApp } from '../helpers/plugin-app'

/** The RECIPES' message for the next page after a logout: destroyed, then regenerated, a preserved key set. */
const logoutWithMessageApp = () =>
    stateApp().post('/logout-with-message', ({ destroyScopedSession, regenerateScopedSession, scopedStore }) => {
        destroyScopedSession()
        regenerateScopedSession()
        scopedStore.theme = 'signed out'
        return 'signed out'
    })

describe('regenerateScopedSession', () => {
    test('issues a new id, kills the old one at once, and carries the preserved keys', async () => {
        const store = memoryStore()
        const app = stateApp({ store })
        const user = client(app)
        await user.post('/theme/dark')
        await user.post('/cart/book')
        await user.post('/increment')
        const before = user.cookie

        const response = await user.post('/login')
        expect(response.headers.get('set-cookie')).toContain('HttpOnly')
        expect(user.cookie).not.toBe(before)
        expect(await user.text('/cart')).toBe('book')
        expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'dark', count: 0 })

        // The fixated or stolen old id sees nothing.
        expect(await (await client(app, before).get('/state')).json()).toMatchObject({ theme: 'light', count: 0 })
        expect(await client(app, before).text('/cart')).toBe('')
        expect((await store.stats()).sessions).toBe(1)
    })

    test("a page's key changed after regenerateScopedSession() is kept nowhere, and reported: no page id of the new session names it", async () => {
        const error = spyOn(console, 'error').mockImplementation(() => {})
        try {
            const store = memoryStore()
            const app = stateApp({ store }).post('/login-and-count', ({ regenerateScopedSession, scopedStore }) => {
                const before = scopedStore.count
                regenerateScopedSession()
                // Read after the login: the default, whatever the page held.
                const after = scopedStore.count
                scopedStore.count = before + 10
                scopedStore.theme = 'signed in'
                return `${before} ${after}`
            })
            const user = client(app)
            const { page } = (await (await user.get('/state', NAVIGATE)).json()) as { page: string }
            await user.post('/increment', inPage(page))
            expect(await (await user.post('/login-and-count', inPage(page))).text()).toBe('1 0')
            const record = JSON.parse((await store.load(sessionIdOf(user.cookie), 60_000)) as string)
            expect(record).toEqual({ s: { theme: 'signed in' }, p: {} })
            // Its own reports only: a timer of an earlier test file may write to console.error meanwhile.
            const reports = () =>
                error.mock.calls.filter(([line]) => String(line).includes('regenerateScopedSession()'))
            expect(reports()).toHaveLength(1)
            // Without a page id (curl), the request is in the default scope, which the new session still reaches.
            const script = client(app)
            await script.post('/increment')
            await script.post('/login-and-count')
            expect(await script.text('/count')).toBe('11')
            expect(reports()).toHaveLength(1)
        } finally {
            error.mockRestore()
        }
    })

    test('stores only the preserved keys under the new id: page scopes are left behind', async () => {
        const store = memoryStore()
        const user = client(stateApp({ store }))
        const { page } = await (await user.get('/state', NAVIGATE)).json()
        await user.post('/increment', inPage(page))
        await user.post('/theme/dark')
        await user.post('/login')
        expect(JSON.parse(store.load(sessionIdOf(user.cookie), 60_000) as string)).toEqual({
            s: { theme: 'dark' },
            p: {}
        })
    })

    test('works for a visitor with no state yet', async () => {
        const user = client(stateApp())
        await user.get('/count')
        const before = user.cookie
        await user.post('/login')
        expect(user.cookie).not.toBe(before)
        expect(await (await user.post('/increment')).text()).toBe('1')
    })
})

describe('a session whose cookie ends with the browser: regenerateScopedSession({ persistent: false })', () => {
    const HOUR = 3_600
    const WEEK = 604_800
    const appOn = (clock = manualClock()) =>
        stateApp({ now: clock.now }).post('/sign-in/:remember', ({ params, regenerateScopedSession }) => {
            regenerateScopedSession({ persistent: params.remember === 'remember' })
            return 'signed in'
        })
    /** The cart the response shows, whether it re-sent the cookie, and its Max-Age. */
    const resent = async (response: Response) => [
        await response.text(),
        response.headers.has('set-cookie'),
        maxAgeOf(response)
    ]

    test('gets its cookie without Max-Age at the login and at each refresh; the server still ends it when idle', async () => {
        const clock = manualClock()
        const user = client(appOn(clock))
        expect(maxAgeOf(await user.post('/cart/book'))).toBe(String(WEEK))
        const signedIn = await user.post('/sign-in/once')
        expect(signedIn.headers.get('set-cookie')).toMatch(/^user_session_id=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/)
        clock.advance(HOUR)
        const refreshed = await user.get('/cart')
        expect(await resent(refreshed)).toEqual(['book', true, undefined])
        // A later regenerate without options keeps it so.
        expect(maxAgeOf(await user.post('/login'))).toBeUndefined()
        expect(await user.text('/cart')).toBe('book')
        clock.advance(WEEK)
        expect(await user.text('/cart')).toBe('')
    })

    test('persistent: true gives Max-Age back, and a logout still clears the cookie with Max-Age=0', async () => {
        const user = client(appOn())
        await user.post('/cart/book')
        await user.post('/sign-in/once')
        expect(maxAgeOf(await user.post('/sign-in/remember'))).toBe(String(WEEK))
        await user.post('/sign-in/once')
        expect(maxAgeOf(await user.post('/logout'))).toBe('0')
        // The next visitor on that browser starts a session that outlives it, as any new one.
        expect(maxAgeOf(await user.post('/increment'))).toBe(String(WEEK))
    })

    test('stays so when the cookie is re-sent under a rotated secret, and after a clock set back', async () => {
        const clock = manualClock()
        const store = memoryStore()
        const NEW = 'the-new-secret-that-is-32-bytes-long!'
        const signIn = (secret: string | string[]) =>
            stateApp({ now: clock.now, store, secret }).post('/sign-in', ({ regenerateScopedSession }) => {
                regenerateScopedSession({ persistent: false })
                return 'signed in'
            })
        const before = client(signIn(SECRET))
        await before.post('/cart/book')
        await before.post('/sign-in')
        const user = client(signIn([NEW, SECRET]), before.cookie)
        clock.advance(HOUR)
        const rotated = await user.get('/cart')
        expect(await resent(rotated)).toEqual(['book', true, undefined])
        clock.advance(-365 * 86_400)
        const setBack = await user.get('/cart')
        expect(await resent(setBack)).toEqual(['book', true, undefined])
        expect(user.cookie).toContain('.b.')
        // Signed with the new secret only: the old one can go.
        expect(await client(signIn(NEW), user.cookie).text('/cart')).toBe('book')
    })

    test('a logout that starts a new session for its message keeps the choice (regenerate after destroy)', async () => {
        const app = appOn().post('/logout-with-message', ({ destroyScopedSession, regenerateScopedSession }) => {
            destroyScopedSession()
            regenerateScopedSession()
            return 'signed out'
        })
        for (const [choice, maxAge] of [
            ['once', undefined],
            ['remember', String(WEEK)]
        ] as const) {
            const user = client(app)
            await user.post('/cart/book')
            await user.post(`/sign-in/${choice}`)
            expect(maxAgeOf(await user.post('/logout-with-message'))).toBe(maxAge)
            expect(await user.text('/cart')).toBe('')
        }
    })

    test('the choice is signed: a cookie with it taken away or added is refused', async () => {
        const app = appOn()
        const once = client(app)
        await once.post('/cart/book')
        await once.post('/sign-in/once')
        const remembered = client(app)
        await remembered.post('/cart/pen')
        await remembered.post('/sign-in/remember')
        expect(once.cookie).toContain('.b.')
        for (const forged of [once.cookie.replace('.b.', '.'), remembered.cookie.replace(/\.(?=[\w-]{43}$)/, '.b.')])
            expect(await client(app, forged).text('/cart')).toBe('')
        expect([await once.text('/cart'), await remembered.text('/cart')]).toEqual(['book', 'pen'])
    })
})

describe('a login or logout sent twice, or both at once, from one session', () => {
    test('a second login answers 409 and the first keeps the preserved keys', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        expect((await user.post('/login')).status).toBe(200)
        const second = await client(app, old).post('/login')
        expect(second.status).toBe(409)
        expect(second.headers.get('set-cookie')).toBeNull()
        expect(await user.text('/cart')).toBe('book')
    })

    test('a logout after a login of the same session clears the cookie: the user asked to be signed out', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        await user.post('/login')
        const logout = await client(app, old).post('/logout')
        expect(logout.status).toBe(200)
        expect(logout.headers.get('set-cookie')).toStartWith('user_session_id=; Max-Age=0')
    })

    test.each(['/login', '/logout'])(
        'a logout that leaves a message in a new session, after a %s of the same session, starts it as a plain logout would',
        async (first) => {
            const app = logoutWithMessageApp()
            const user = client(app)
            await user.post('/cart/book')
            const old = user.cookie
            expect((await user.post(first)).status).toBe(200)
            const late = client(app, old)
            const logout = await late.post('/logout-with-message')
            expect([logout.status, await logout.text()]).toEqual([200, 'signed out'])
            expect(late.cookie).not.toBe(old)
            expect(await (await late.get('/state')).json()).toMatchObject({ theme: 'signed out', cart: { items: [] } })
            // The session it ended stays ended: the first answer's session, if any, is untouched.
            expect(await client(app, old).text('/cart')).toBe('')
            if (first === '/login') expect(await user.text('/cart')).toBe('book')
        }
    )

    test('a second logout from a session already ended keeps its first end: the minute is not started again', async () => {
        const clock = manualClock()
        const app = stateApp({ now: clock.now })
        const user = client(app)
        await user.post('/cart/mug')
        const old = user.cookie
        await user.post('/logout')
        clock.advance(30)
        expect((await client(app, old).post('/logout')).status).toBe(200)
        clock.advance(31)
        const late = client(app, old)
        const response = await late.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(late.cookie)).not.toBe(sessionIdOf(old))
    })
})

describe('destroyScopedSession', () => {
    test('removes the state and clears the cookie', async () => {
        const store = memoryStore()
        const app = stateApp({ store })
        const user = client(app)
        await user.post('/cart/book')
        const before = user.cookie

        const response = await user.post('/logout')
        expect(response.headers.get('set-cookie')).toMatch(/^user_session_id=; Max-Age=0; Path=\/; HttpOnly/)
        expect(user.cookie).toBe('')
        expect((await store.stats()).sessions).toBe(0)
        expect(await client(app, before).text('/cart')).toBe('')
    })

    test('nothing written after it is stored, even for a session that had no state yet, and that is reported', async () => {
        const error = spyOn(console, 'error').mockImplementation(() => {})
        try {
            const store = memoryStore()
            const app = stateApp({ store })
                .post('/logout-with-note', ({ destroyScopedSession, scopedStore }) => {
                    destroyScopedSession()
                    scopedStore.theme = 'written after logout'
                    return 'destroyed'
                })
                .post('/logout-with-tag', ({ destroyScopedSession, scopedStore }) => {
                    destroyScopedSession()
                    scopedStore.tags.push('mutated after logout')
                    return 'destroyed'
                })
            for (const path of ['/logout-with-note', '/logout-with-tag']) {
                error.mockClear()
                const user = client(app)
                await user.get('/count')
                const before = user.cookie
                await user.post(path)
                expect((await store.stats()).sessions).toBe(0)
                expect(await (await client(app, before).get('/state')).json()).toMatchObject({
                    theme: 'light',
                    tags: []
                })
                // Once per plugin instance: the second path's report was the first's.
                if (path === '/logout-with-note')
                    expect(String(error.mock.calls[0]?.[0])).toContain('changed after destroyScopedSession()')
            }
        } finally {
            error.mockRestore()
        }
    })

    // Without `serializeRequests` the slow logout runs first and commits after the other; with it,
    // the slow one waits for the other's turn. Either way its session ended while it ran.
    test.each([
        ['', {}, false],
        [' (serializeRequests)', { serializeRequests: true }, true]
    ] as const)(
        'a logout that only reads after destroying, while another logout ends the session, reports no change%s',
        async (_, options, waits) => {
            const error = spyOn(console, 'error').mockImplementation(() => {})
            try {
                const store = memoryStore()
                const app = stateApp({ store, ...options }).post(
                    '/slow-logout',
                    async ({ destroyScopedSession, scopedStore }) => {
                        destroyScopedSession()
                        await Bun.sleep(20)
                        return scopedStore.cart.items.length
                    }
                )
                const user = client(app)
                await user.post('/cart/pen')
                const cookie = user.cookie
                const logout = waits ? user.post('/logout') : undefined
                const slow = client(app, cookie).post('/slow-logout')
                await Bun.sleep(5)
                expect((await (logout ?? user.post('/logout'))).status).toBe(200)
                expect((await slow).status).toBe(200)
                expect((await store.stats()).sessions).toBe(0)
                expect(error).not.toHaveBeenCalled()
            } finally {
                error.mockRestore()
            }
        }
    )

    test('destroyed, then regenerated (a message for the next page after logout): a new, empty session keeps it', async () => {
        const error = spyOn(console, 'error').mockImplementation(() => {})
        try {
            const app = logoutWithMessageApp()
            const user = client(app)
            await user.post('/cart/book')
            const before = user.cookie
            await user.post('/logout-with-message')
            expect(user.cookie).not.toBe(before)
            expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'signed out', cart: { items: [] } })
            expect(await client(app, before).text('/cart')).toBe('')
            expect(error).not.toHaveBeenCalled()
        } finally {
            error.mockRestore()
        }
    })

    test('a slow request answered after logout does not bring the session back', async () => {
        let resume = () => {}
        const paused = new Promise<void>((resolve) => {
            resume = resolve
        })
        const app = stateApp().post('/slow-increment', async ({ scopedStore }) => {
            await paused
            return ++scopedStore.count
        })
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        const slow = client(app, old).post('/slow-increment')
        await user.post('/logout')
        resume()
        const response = await slow
        expect(response.status).toBe(409)
        expect(await response.text()).toContain('This session has ended (signed in or out, or expired)')
        expect(response.headers.get('set-cookie')).toBeNull()
        expect(await (await client(app, old).get('/state')).json()).toMatchObject({ count: 0, theme: 'light' })
        expect(await client(app, old).text('/cart')).toBe('')
    })

    test('nor after a login or logout of a session that had stored nothing, or queued behind one', async () => {
        for (const serializeRequests of [false, true])
            for (const ending of ['logout', 'login']) {
                const store = memoryStore()
                const paused = Promise.withResolvers<void>()
                // refreshAfter 0: every response would re-send the cookie.
                const app = stateApp({ store, serializeRequests, refreshAfter: 0 })
                    .post('/slow-tag', async ({ scopedStore }) => {
                        await paused.promise
                        scopedStore.tags.push('late')
                        return scopedStore.tags.join(',')
                    })
                    .post('/slow-logout', async ({ destroyScopedSession }) => {
                        await paused.promise
                        destroyScopedSession()
                        return 'signed out'
                    })
                    .post('/slow-login', async ({ regenerateScopedSession }) => {
                        await paused.promise
                        regenerateScopedSession()
                        return 'signed in'
                    })
                const user = client(app)
                // A cookie, and nothing stored yet.
                await user.get('/count')
                const old = user.cookie
                const oldId = sessionIdOf(old)
                let late: Promise<Response>
                if (serializeRequests) {
                    // The ending holds the session; the change waits for its turn behind it.
                    const ended = user.post(`/slow-${ending}`)
                    late = client(app, old).post('/tag/late')
                    paused.resolve()
                    expect((await ended).status).toBe(200)
                } else {
                    // The change awaits while the session ends.
                    late = client(app, old).post('/slow-tag')
                    expect((await user.post(`/${ending}`)).status).toBe(200)
                    paused.resolve()
                }
                const response = await late
                expect(response.status).toBe(409)
                expect(await response.text()).toContain('This session has ended (signed in or out, or expired)')
                expect(store.load(oldId, 60_000)).toBeUndefined()
                // A request still carrying the old cookie changes nothing, and gets no cookie that
                // would replace the browser's new one (a login's); a read is answered from defaults.
                const change = await client(app, old).post('/tag/again')
                expect(change.status).toBe(409)
                expect(change.headers.get('set-cookie')).toBeNull()
                const read = await client(app, old).get('/tags')
                expect(read.status).toBe(200)
                expect(await read.text()).toBe('')
                expect(read.headers.get('set-cookie')).toBeNull()
                expect(store.load(oldId, 60_000)).toBeUndefined()
            }
    })

    test('a session ended among thousands of others in its minute is still known as ended', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        await user.post('/logout')
        // A busy site's logouts of the same minute, each of a session that stored something.
        for (let i = 0; i < 5_000; i++) {
            const other = client(app)
            await other.post('/increment')
            await other.post('/logout')
        }
        const late = await client(app, old).post('/cart/pen')
        expect(late.status).toBe(409)
        expect(late.headers.get('set-cookie')).toBeNull()
    })

    test('logins and logouts without a cookie end nothing: a flood of them keeps an ended id refused', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        await user.post('/logout')
        // More than the ended ids remembered (65 536): each would have pushed one out.
        for (let i = 0; i < 70_000; i++)
            await app.handle(new Request(`http://localhost/${i % 2 ? 'logout' : 'login'}`, { method: 'POST' }))
        expect((await client(app, old).post('/cart/pen')).status).toBe(409)
    })

    test('a browser still sending the old cookie a minute after logout (its answer lost) starts a new session', async () => {
        const clock = manualClock()
        const store = memoryStore({ now: clock.now })
        const app = stateApp({ store, now: clock.now })
        const user = client(app)
        await user.post('/cart/book')
        const old = user.cookie
        await user.post('/logout')
        // Within the minute, to its last second: taken for a request sent before the logout's answer arrived.
        clock.advance(60)
        expect((await client(app, old).post('/cart/pen')).status).toBe(409)
        clock.advance(1)
        const late = client(app, old)
        expect(await (await late.post('/cart/pen')).text()).toBe('pen')
        expect(sessionIdOf(late.cookie)).not.toBe(sessionIdOf(old))
        expect(store.load(sessionIdOf(old), 60_000)).toBeUndefined()
    })

    test('a slow page load or reset answered after logout, which changed nothing itself, is served, stores nothing and sends no cookie', async () => {
        let resume = () => {}
        const store = memoryStore()
        // refreshAfter 0: every response would re-send the cookie.
        const app = stateApp({ store, refreshAfter: 0 })
            .get('/slow-page', async ({ scopedStore }) => {
                await new Promise<void>((resolve) => {
                    resume = resolve
                })
                return scopedStore.count
            })
            .post('/slow-reset', async ({ resetScopedStore }) => {
                await new Promise<void>((resolve) => {
                    resume = resolve
                })
                resetScopedStore(true)
                return 'reset'
            })
        for (const slowRequest of [
            (cookie: string) => client(app, cookie).get('/slow-page', NAVIGATE),
            (cookie: string) => client(app, cookie).post('/slow-reset')
        ]) {
            const user = client(app)
            // A count in the default page scope, which a page load clears.
            await user.post('/increment')
            const slow = slowRequest(user.cookie)
            await user.post('/logout')
            resume()
            const response = await slow
            expect(response.status).toBe(200)
            expect(response.headers.get('set-cookie')).toBeNull()
            expect((await store.stats()).sessions).toBe(0)
        }
    })
})

describe('a store shared by several processes', () => {
    test('is told, at a login or logout, how long the ended session’s cookie may still be sent: the old one’s life, not the new one’s', async () => {
        const inner = memoryStore()
        const deletes: [string, number | undefined][] = []
        const store: Store = {
            ...inner,
            delete: (id, ttl) => {
                deletes.push([id, ttl])
                return inner.delete(id, ttl)
            }
        }
        const clock = manualClock()
        // Idle 600 s, 1000 s in all: at 100 s a session has 600 s left, at 500 s, 500.
        const app = stateApp({ store, now: clock.now, idleTimeout: 600, absoluteTimeout: 1000 }).post(
            '/logout-with-message',
            ({ destroyScopedSession, regenerateScopedSession, scopedStore }) => {
                destroyScopedSession()
                regenerateScopedSession()
                scopedStore.theme = 'signed out'
                return 'signed out'
            }
        )
        for (const [route, after, life] of [
            ['/logout', 100, 600_000],
            ['/login', 500, 500_000],
            // Its new session has 600 s: the one it ended, 500.
            ['/logout-with-message', 500, 500_000]
        ] as const) {
            const user = client(app)
            await user.post('/cart/mug')
            const old = sessionIdOf(user.cookie)
            clock.advance(after)
            deletes.length = 0
            expect((await user.post(route)).status).toBe(200)
            expect(deletes).toEqual([[old, life]])
        }
    })

    test('is told, at a login after the clock was set back, the life of the earlier cookie, which absoluteTimeout bounds too', async () => {
        const inner = memoryStore()
        const deletes: (number | undefined)[] = []
        const store: Store = {
            ...inner,
            delete: (id, ttl) => {
                deletes.push(ttl)
                return inner.delete(id, ttl)
            }
        }
        const clock = manualClock()
        // absoluteTimeout below idleTimeout: an earlier cookie is taken 400 s from its issue, not 600.
        const app = stateApp({ store, now: clock.now, idleTimeout: 600, absoluteTimeout: 400, refreshAfter: 60 })
        const user = client(app)
        await user.post('/cart/mug')
        // Set back 100 s: the cookie is sent again at once, remembering the earlier one's issue.
        clock.advance(-100)
        await user.get('/cart')
        expect((await user.post('/login')).status).toBe(200)
        // That earlier cookie, issued 100 s from now, is taken till 500 s from now.
        expect(deletes).toEqual([500_000])
    })

    /** A synchronous store that answers `SESSION_ENDED` while `endedElsewhere` holds (another process's logout). */
    const endingStore = () => {
        const inner = memoryStore()
        const store = {
            ...inner,
            endedElsewhere: false,
            load: (id: string, ttl: number) => (store.endedElsewhere ? SESSION_ENDED : inner.load(id, ttl))
        }
        return store
    }

    test('that says the session ended while a synchronous request ran: a change answers 409, nothing is saved', async () => {
        const store = endingStore()
        const app = stateApp({ store }).post('/slow-cart', async ({ scopedStore }) => {
            // Another process's logout reaches the store while the handler awaits.
            store.endedElsewhere = true
            await Bun.sleep(1)
            scopedStore.cart = { items: ['late'] }
            return 'late'
        })
        const user = client(app)
        // A session with a cookie and no record yet: nothing stored to tell that it went.
        await user.get('/count')
        expect(user.cookie).not.toBe('')
        const response = await user.post('/slow-cart')
        expect(response.status).toBe(409)
        store.endedElsewhere = false
        expect(await user.text('/cart')).toBe('')
    })

    test('that says the session ended when a synchronous request starts: the id is ended there too', async () => {
        const store = endingStore()
        // refreshAfter 0: the cookie is due on every request, and must not be sent for an ended id.
        const user = client(stateApp({ store, refreshAfter: 0 }))
        await user.post('/cart/mug')
        store.endedElsewhere = true
        const [change, login, read] = [
            await user.post('/increment'),
            await user.post('/login'),
            await user.get('/cart')
        ]
        expect([change.status, login.status, read.status]).toEqual([409, 409, 200])
        expect(await read.text()).toBe('')
        for (const response of [change, login, read]) expect(response.headers.get('set-cookie')).toBeNull()
        store.endedElsewhere = false
        expect(await user.text('/cart')).toBe('mug')
    })

    /** A store that answers `endedAgo(ms)` for the ids in `ended` (another process's logout, `ms` ago by the store's clock). */
    const telling = (synchronous: boolean) => {
        const inner = memoryStore()
        const ended = new Map<string, number>()
        const load = (id: string, ttl: number) => {
            const ago = ended.get(id)
            return ago === undefined ? inner.load(id, ttl) : endedAgo(ago)
        }
        const store: Store = synchronous
            ? { ...inner, load }
            : { ...asynchronous(inner), load: async (id, ttl) => load(id, ttl) }
        return { store, ended }
    }

    test.each([true, false])(
        'that says the session ended over a minute ago (synchronous: %p): its cookie starts a new session, as where it ended',
        async (synchronous) => {
            const { store, ended } = telling(synchronous)
            const user = client(stateApp({ store }))
            await user.post('/cart/mug')
            const old = user.cookie
            ended.set(sessionIdOf(old), 61_000)
            const response = await user.post('/increment')
            expect([response.status, await response.text()]).toEqual([200, '1'])
            expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(old))
            expect(await user.text('/cart')).toBe('')
            // Nothing saved under the old id: the store still says it ended.
            expect(await store.load(sessionIdOf(old), 1_000)).toEqual(endedAgo(61_000))
        }
    )

    test.each([
        [true, 5_000],
        [false, 5_000],
        // The store's clock set back since (or the ending process's ahead): just now, not an error.
        [true, -5_000]
    ])(
        'that says the session ended within the minute (synchronous: %p, %p ms ago): refused till the minute is up, then a new session',
        async (synchronous, ago) => {
            const { store, ended } = telling(synchronous)
            const clock = manualClock()
            const user = client(stateApp({ store, now: clock.now }))
            await user.post('/cart/mug')
            const old = user.cookie
            ended.set(sessionIdOf(old), ago)
            const refused = await user.post('/increment')
            expect([refused.status, refused.headers.get('set-cookie')]).toEqual([409, null])
            // The process remembers when it ended: 56 s on (61 for a time to come) it is past the minute, whatever the store says.
            clock.advance(ago < 0 ? 61 : 56)
            const response = await user.post('/increment')
            expect([response.status, await response.text()]).toEqual([200, '1'])
            expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(old))
        }
    )

    test('whose answer came after a wait (the session locked elsewhere): the end counts from that answer, not from when the request came', async () => {
        // A login sent twice, its copies on two instances: this one waits for the other's lock,
        // and is told, once it is let in, that the session ended just now.
        const { store, ended } = telling(false)
        const clock = manualClock()
        const load = store.load.bind(store)
        let waits = 0
        store.load = async (id, ttl) => {
            clock.advance(waits)
            return load(id, ttl)
        }
        const user = client(stateApp({ store, now: clock.now }))
        await user.post('/cart/mug')
        const old = user.cookie
        ended.set(sessionIdOf(old), 0)
        waits = 10
        expect((await user.post('/login')).status).toBe(409)
        waits = 0
        // 55 s after the store's answer, 65 s after the request came: within the minute, as on the
        // instance that ended it.
        clock.advance(55)
        const refused = await user.post('/increment')
        expect([refused.status, refused.headers.get('set-cookie')]).toEqual([409, null])
        clock.advance(6)
        const response = await user.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(old))
    })
})

describe('a login or logout that fails', () => {
    /** `response` failed with `status`: no cookie sent, the browser still on `cookie`, its cart (`book`) kept. */
    const expectUnchanged = async (
        user: ReturnType<typeof client>,
        response: Response,
        status: number,
        cookie: string
    ) => {
        expect(response.status).toBe(status)
        expect(response.headers.get('set-cookie')).toBeNull()
        expect(user.cookie).toBe(cookie)
        expect(await user.text('/cart')).toBe('book')
    }

    test('whose reload after an await fails, its error answered by the handler: nothing deleted, nothing ended', async () => {
        const store = flakyStore()
        const password = Promise.withResolvers<void>()
        const app = stateApp({ store }).post('/slow-login', async ({ regenerateScopedSession }) => {
            await password.promise
            try {
                regenerateScopedSession()
            } catch {
                return status(503, 'Sign-in is unavailable, please retry.')
            }
            return 'signed in'
        })
        const user = client(app)
        await user.post('/cart/book')
        const before = user.cookie
        const login = user.post('/slow-login')
        // Another user's save meanwhile: the login's first touch loads its record again, and fails.
        await client(app).post('/increment')
        store.failingLoads = true
        password.resolve()
        const response = await login
        store.failingLoads = false
        await expectUnchanged(user, response, 503, before)
        expect((await user.post('/cart/pen')).status).toBe(200)
    })

    test('whose store write fails sends no cookie: the browser stays on the session whose state stayed', async () => {
        const store = flakyStore()
        const user = client(stateApp({ store }))
        await user.post('/cart/book')
        const before = user.cookie

        store.failing = true
        const responses = [await user.post('/login'), await user.post('/logout')]
        store.failing = false
        for (const response of responses) await expectUnchanged(user, response, 503, before)
    })

    test('whose delete of the old session fails: a login still signs in, a logout (with a message or not) answers 503', async () => {
        const warn = spyOn(console, 'warn').mockImplementation(() => {})
        const store = flakyStore()
        const app = stateApp({ store }).post('/logout-with-message', (context) => {
            context.destroyScopedSession()
            context.regenerateScopedSession()
            context.scopedStore.theme = 'signed out'
            return 'signed out'
        })
        const user = client(app)
        await user.post('/cart/book')
        const before = user.cookie
        store.failingDeletes = true
        try {
            // Saved under its new id, the login stands: failing it would leave the browser on the
            // old id, whose record a store may have deleted all the same (an answer lost, with Redis).
            const login = await user.post('/login')
            expect([login.status, await login.text()]).toEqual([200, 'regenerated'])
            expect(user.cookie).not.toBe(before)
            expect(await user.text('/cart')).toBe('book')
            expect(warn.mock.calls.flat().join()).toContain('deleting the old one failed')
            const signedIn = user.cookie
            await expectUnchanged(user, await user.post('/logout'), 503, signedIn)
            // A logout that keeps a message for the next page is a logout all the same.
            const withMessage = await user.post('/logout-with-message')
            await expectUnchanged(user, withMessage, 503, signedIn)
        } finally {
            warn.mockRestore()
        }
    })

    test('whose handler throws after regenerating sends no cookie', async () => {
        const app = stateApp().post('/login-then-fail', ({ regenerateScopedSession }) => {
            regenerateScopedSession()
            throw new Error('the directory is down')
        })
        const user = client(app)
        await user.post('/cart/book')
        const before = user.cookie

        await expectUnchanged(user, await user.post('/login-then-fail'), 500, before)
    })
})
