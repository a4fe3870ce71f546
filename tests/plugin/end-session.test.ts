/**
 * `scopedSessionId()` and `endScopedSession(id)`: an app ends a session other than the
 * request's own (its user's other browser), on the memory store and on Redis with two instances.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { Elysia } from 'elysia'
import {
    memoryStore,
    redisStore,
    SessionEndedError,
    type Store,
    scopedState,
    sqliteStore
} from '../../plugins/scoped-state'
import { client, NAVIGATE, sessionIdOf } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'
import { manualClock, SECRET } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

const setup = { user: { value: '', preserve: true }, cart: { value: 0, preserve: true }, draft: { value: '' } }

/** The `/slow-add` in flight: it enters once its handler has read the cart, and saves once finished. */
let slow = { enter: () => {}, finished: Promise.resolve() }

/** Sends `user`'s `/slow-add` and answers once its handler has read the cart: `finish()` lets it go on. */
const slowAdd = async (user: ReturnType<typeof client>) => {
    const [entered, finish] = [Promise.withResolvers<void>(), Promise.withResolvers<void>()]
    slow = { enter: entered.resolve, finished: finish.promise }
    const answer = user.post('/slow-add')
    await entered.promise
    return { answer, finish: finish.resolve }
}

const accountApp = (store: Store, options: { serializeRequests?: boolean } = {}) =>
    new Elysia()
        .use(scopedState(setup, { secret: SECRET, store, ...options }))
        .post('/login', ({ scopedStore, regenerateScopedSession, scopedSessionId }) => {
            regenerateScopedSession()
            scopedStore.user = 'ada'
            // The new session's id, to record with the account.
            return scopedSessionId()
        })
        .get('/me', ({ scopedStore }) => `${scopedStore.user || 'signed out'} ${scopedStore.cart}`)
        .post('/add', ({ scopedStore }) => String(++scopedStore.cart))
        .post('/slow-add', async ({ scopedStore }) => {
            const cart = scopedStore.cart
            const { enter, finished } = slow
            enter()
            await finished
            scopedStore.cart = cart + 1
            return String(scopedStore.cart)
        })
        .post('/logout', ({ destroyScopedSession }) => {
            destroyScopedSession()
            return 'signed out'
        })
        .post('/end/:id', async ({ params, endScopedSession }) => {
            await endScopedSession(params.id)
            return 'ended'
        })

type App = ReturnType<typeof accountApp>

describe('endScopedSession on the memory store', () => {
    test('ends another session at once: record gone, its request in flight refused, its cookie a new session', async () => {
        const store = memoryStore()
        const app = accountApp(store)
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/login')
        const phoneId = await (await phone.post('/login')).text()
        expect(phoneId).toBe(sessionIdOf(phone.cookie))
        await phone.post('/add')
        const old = phone.cookie
        const inFlight = await slowAdd(phone)
        expect(await (await laptop.post(`/end/${phoneId}`)).text()).toBe('ended')
        expect(store.load(phoneId, 60_000)).toBeUndefined()
        inFlight.finish()
        expect((await inFlight.answer).status).toBe(409)
        expect(store.load(phoneId, 60_000)).toBeUndefined()
        // No grace minute: no new cookie is on its way to that browser.
        const next = await phone.post('/add')
        expect([next.status, await next.text()]).toEqual([200, '1'])
        expect(sessionIdOf(phone.cookie)).not.toBe(sessionIdOf(old))
        expect(await client(app, old).text('/me')).toBe('signed out 0')
        expect(await laptop.text('/me')).toBe('ada 0')
    })

    test('a request of that session waiting for its turn (serializeRequests) when the end comes starts a new session, as one that came after', async () => {
        const app = accountApp(memoryStore(), { serializeRequests: true })
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/login')
        const phoneId = await (await phone.post('/login')).text()
        const inFlight = await slowAdd(phone)
        // Sent before the end, loaded after it: the in-flight request holds the session's turn.
        const queued = client(app, phone.cookie)
        const answer = queued.post('/add')
        await laptop.post(`/end/${phoneId}`)
        inFlight.finish()
        expect((await inFlight.answer).status).toBe(409)
        const response = await answer
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(queued.cookie)).not.toBe(phoneId)
    })

    test('a store that fails the delete: 503, the session ended in this process only, and a retry deletes it', async () => {
        const store = flakyStore()
        const app = accountApp(store)
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/login')
        const phoneId = await (await phone.post('/login')).text()
        await phone.post('/add')
        store.failingDeletes = true
        const failed = await laptop.post(`/end/${phoneId}`)
        expect([failed.status, failed.headers.get('retry-after')]).toEqual([503, '1'])
        // Another process sharing the store would still take the record: only a retry ends it there.
        expect(store.load(phoneId, 60_000)).toBeDefined()
        expect(await client(app, phone.cookie).text('/me')).toBe('signed out 0')
        store.failingDeletes = false
        expect(await (await laptop.post(`/end/${phoneId}`)).text()).toBe('ended')
        expect(store.load(phoneId, 60_000)).toBeUndefined()
    })

    test("refuses the request's own session and what is no session id", async () => {
        const app = accountApp(memoryStore())
        const user = client(app)
        const id = await (await user.post('/login')).text()
        expect((await user.post(`/end/${id}`)).status).toBe(500)
        expect((await user.post('/end/not-an-id')).status).toBe(500)
        expect(await user.text('/me')).toBe('ada 0')
    })

    test('refuses, after a login, the session the login left: the login ends it already', async () => {
        const app = accountApp(memoryStore()).post(
            '/login-and-end-old',
            ({ regenerateScopedSession, endScopedSession, scopedSessionId }) => {
                const old = scopedSessionId()
                regenerateScopedSession()
                endScopedSession(old)
                return 'signed in'
            }
        )
        const user = client(app)
        await user.post('/add')
        const response = await user.post('/login-and-end-old')
        expect([response.status, await response.text()]).toEqual([
            500,
            "endScopedSession: this is the request's own session, or the one its login left: destroyScopedSession() ends the first, and the login already ends the second."
        ])
    })
})

/**
 * An app whose login records its new id with the account, then awaits (an audit log) until
 * `finish()`: meanwhile another request may end that id.
 */
const awaitingLoginApp = (store: Store, serializeRequests = false) => {
    const recorded = Promise.withResolvers<string>()
    const finish = Promise.withResolvers<void>()
    const app = new Elysia()
        .use(scopedState(setup, { secret: SECRET, store, serializeRequests }))
        .post('/login', async ({ scopedStore, regenerateScopedSession, scopedSessionId }) => {
            regenerateScopedSession()
            scopedStore.user = 'ada'
            recorded.resolve(scopedSessionId())
            await finish.promise
            return 'signed in'
        })
        // Another user signs in on that browser: the first one signed out, the new session carries nothing.
        .post(
            '/switch-user',
            async ({ scopedStore, destroyScopedSession, regenerateScopedSession, scopedSessionId }) => {
                destroyScopedSession()
                regenerateScopedSession()
                scopedStore.user = 'bob'
                recorded.resolve(scopedSessionId())
                await finish.promise
                return 'signed in'
            }
        )
        // A first visit that records its id (with an order, say) without signing in.
        .post('/order', async ({ scopedStore, scopedSessionId }) => {
            scopedStore.cart = 1
            recorded.resolve(scopedSessionId())
            await finish.promise
            return 'ordered'
        })
        .post('/add-to-cart', ({ scopedStore }) => String(++scopedStore.cart))
        .get('/me', ({ scopedStore }) => scopedStore.user || 'signed out')
        .post('/end/:id', async ({ params, endScopedSession }) => {
            await endScopedSession(params.id)
            return 'ended'
        })
    return { app, recorded: recorded.promise, finish: () => finish.resolve() }
}

describe('a request whose new id is ended before its commit', () => {
    const cases = [
        { what: 'a login', route: '/login', returning: true },
        { what: "a first visit's request", route: '/order', returning: false },
        { what: 'a login after a logout in the same request', route: '/switch-user', returning: true }
    ]
    test.each(cases.flatMap((each) => [false, true].map((serializeRequests) => ({ ...each, serializeRequests }))))(
        '$what fails (409): nothing saved under the ended id, its cookie not sent (serializeRequests: $serializeRequests)',
        async ({ route, returning, serializeRequests }) => {
            const store = memoryStore()
            const { app, recorded, finish } = awaitingLoginApp(store, serializeRequests)
            const browser = client(app)
            if (returning) await browser.post('/add-to-cart')
            const answer = browser.post(route)
            const id = await recorded
            expect(await (await client(app).post(`/end/${id}`)).text()).toBe('ended')
            finish()
            expect((await answer).status).toBe(409)
            expect(sessionIdOf(browser.cookie)).not.toBe(id)
            expect(store.load(id, 60_000)).toBeUndefined()
        }
    )

    test('on SQLite, a login after a logout whose new id another process ended is not signed in there', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'scoped-state-end-'))
        const path = join(dir, 'sessions.db')
        // Three processes: the third learns of the end only from the store.
        const [one, two, three] = [sqliteStore({ path }), sqliteStore({ path }), sqliteStore({ path })]
        try {
            const { app, recorded, finish } = awaitingLoginApp(one)
            const laptop = client(app)
            await laptop.post('/add-to-cart')
            const login = laptop.post('/switch-user')
            await client(awaitingLoginApp(two).app).post(`/end/${await recorded}`)
            finish()
            await login
            expect(await client(awaitingLoginApp(three).app, laptop.cookie).text('/me')).toBe('signed out')
        } finally {
            await Promise.all([one.close(), two.close(), three.close()])
            rmSync(dir, { recursive: true, force: true })
        }
    })

    test('on SQLite, the ended session is not signed in again after a restart', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'scoped-state-end-'))
        try {
            const path = join(dir, 'sessions.db')
            const before = sqliteStore({ path })
            const { app, recorded, finish } = awaitingLoginApp(before)
            const phone = client(app)
            const login = phone.post('/login')
            await client(app).post(`/end/${await recorded}`)
            finish()
            await login
            const cookie = phone.cookie
            await before.close()
            // A new process: the end that this one remembered is forgotten, the store is what is left.
            const after = sqliteStore({ path })
            expect(await client(awaitingLoginApp(after).app, cookie).text('/me')).toBe('signed out')
            await after.close()
        } finally {
            rmSync(dir, { recursive: true, force: true })
        }
    })
})

/**
 * What two processes sharing one store (apps `one` and `two`) must both do when `one` ends a session
 * of `two`'s browser, checked on Redis and on a shared SQLite file below.
 */
const acrossProcesses = {
    /** No new cookie is on its way to that browser: on the other instance it signs in again at once. */
    async signsInAgain(one: App, two: App) {
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        await phone.post('/add')
        await client(one).post(`/end/${phoneId}`)
        expect(await phone.text('/me')).toBe('signed out 0')
        const again = await phone.post('/login')
        expect(again.status).toBe(200)
        expect(await again.text()).not.toBe(phoneId)
        expect(await phone.text('/me')).toBe('ada 0')
    },
    /** Its request in flight on the other instance saves nothing and sends no cookie: what it got, and the ended id. */
    async inFlightRefused(one: App, two: App) {
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        await phone.post('/add')
        const inFlightThere = await slowAdd(phone)
        await client(one).post(`/end/${phoneId}`)
        inFlightThere.finish()
        const refused = await inFlightThere.answer
        expect(refused.headers.get('set-cookie')).toBeNull()
        return { phone, phoneId, status: refused.status }
    },
    /** A login's or logout's own end: the old cookie's change sent before the new cookie came is refused, not a new session. */
    async graceKept(one: App, two: App, action: string) {
        const phone = client(one)
        await phone.post('/add')
        // Sent before the browser had the cookie that the login or logout gave it.
        const early = client(two, phone.cookie)
        await phone.post(`/${action}`)
        const refused = await early.post('/add')
        expect([refused.status, refused.headers.get('set-cookie')]).toEqual([409, null])
    },
    /** A login that checks the password (awaits) before it regenerates, its session ended meanwhile by `ending`'s instance: refused. */
    async loginFromEndedRefused(ending: Store, other: Store) {
        const started = Promise.withResolvers<void>()
        const finish = Promise.withResolvers<void>()
        const slowLogin = accountApp(other).post('/slow-login', async ({ scopedStore, regenerateScopedSession }) => {
            started.resolve()
            await finish.promise
            regenerateScopedSession()
            scopedStore.user = 'ada'
            return 'signed in'
        })
        const phone = client(slowLogin)
        await phone.post('/add')
        const login = phone.post('/slow-login')
        await started.promise
        await client(accountApp(ending)).post(`/end/${sessionIdOf(phone.cookie)}`)
        finish.resolve()
        const refused = await login
        // Ended, as the ending instance answers: not a collision, whose message says to try again at once.
        expect([refused.status, await refused.text()]).toEqual([409, new SessionEndedError().message])
        expect(await phone.text('/me')).toBe('signed out 0')
    },
    /** A logout that leaves a message, its session ended meanwhile by `ending`'s instance: it goes on with the message. */
    async logoutWithMessageGoesOn(ending: Store, other: Store) {
        const started = Promise.withResolvers<void>()
        const finish = Promise.withResolvers<void>()
        const slowLogout = accountApp(other).post(
            '/slow-logout',
            async ({ scopedStore, destroyScopedSession, regenerateScopedSession }) => {
                started.resolve()
                await finish.promise
                destroyScopedSession()
                regenerateScopedSession()
                scopedStore.user = 'bye'
                return 'signed out'
            }
        )
        const phone = client(slowLogout)
        const phoneId = await (await phone.post('/login')).text()
        const logout = phone.post('/slow-logout')
        await started.promise
        await client(accountApp(ending)).post(`/end/${phoneId}`)
        finish.resolve()
        // The new session carries nothing of the ended one: nothing to refuse.
        expect((await logout).status).toBe(200)
        expect(await phone.text('/me')).toBe('bye 0')
    }
}

describe('endScopedSession on Redis, two instances', () => {
    const redis = useRedis()
    const stores: Store[] = []
    /** Two stores on one prefix, as two processes open it. */
    const twoProcesses = () => {
        const prefix = `end-${crypto.randomUUID()}:`
        const [a, b] = [0, 1].map(() => redisStore({ url: redis().url, prefix })) as [Store, Store]
        stores.push(a, b)
        return { prefix, a, b }
    }
    afterAll(async () => {
        for (const store of stores) await store.close()
    })

    redisTest('a session ended on one instance: its record gone, refused on the other, never saved back', async () => {
        const { prefix, a, b } = twoProcesses()
        const [one, two] = [accountApp(a), accountApp(b)]
        const laptop = client(one)
        await laptop.post('/login')
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        await phone.post('/add')
        const inFlightHere = await slowAdd(client(one, phone.cookie))
        const ended = phone.cookie
        await laptop.post(`/end/${phoneId}`)
        inFlightHere.finish()
        // Its request in flight on the ending instance: refused, nothing saved under the ended id.
        expect((await inFlightHere.answer).status).toBe(409)
        const admin = new RedisClient(redis().url)
        expect(await admin.exists(`${prefix}s:${phoneId}`)).toBe(false)
        // On either instance, a new session at once: no new cookie is on its way to that browser.
        expect(await phone.text('/me')).toBe('signed out 0')
        for (const app of [one, two]) {
            const moved = client(app, ended)
            const response = await moved.post('/add')
            expect([response.status, await response.text()]).toEqual([200, '1'])
            expect(sessionIdOf(moved.cookie)).not.toBe(phoneId)
        }
        expect(await admin.exists(`${prefix}s:${phoneId}`)).toBe(false)
        admin.close()
    })

    redisTest('on the other instance, that browser signs in again at once (200, a new session)', async () => {
        const { a, b } = twoProcesses()
        await acrossProcesses.signsInAgain(accountApp(a), accountApp(b))
    })

    redisTest(
        'its request in flight on the other instance, holding the lock, saves nothing (409, as on the ending one): the end ends its hold',
        async () => {
            const { prefix, a, b } = twoProcesses()
            const { phone, phoneId, status } = await acrossProcesses.inFlightRefused(accountApp(a), accountApp(b))
            expect(status).toBe(409)
            const admin = new RedisClient(redis().url)
            expect(await admin.exists(`${prefix}s:${phoneId}`)).toBe(false)
            admin.close()
            expect(await phone.text('/me')).toBe('signed out 0')
        }
    )

    redisTest(
        'its page load in flight on the other instance, which changed nothing itself, saves nothing and goes on (200, no cookie), as on the ending one',
        async () => {
            const { a, b } = twoProcesses()
            for (const [ending, other] of [
                [a, a],
                [a, b]
            ] as const) {
                const entered = Promise.withResolvers<void>()
                const finish = Promise.withResolvers<void>()
                const app = (store: Store) =>
                    accountApp(store)
                        .post('/draft', ({ scopedStore }) => {
                            scopedStore.draft = 'unsent'
                            return 'kept'
                        })
                        // A page load drops the default page scope's draft: a save, though the handler changed nothing.
                        .get('/slow-page', async () => {
                            entered.resolve()
                            await finish.promise
                            return 'page'
                        })
                const phone = client(app(other))
                const phoneId = await (await phone.post('/login')).text()
                await phone.post('/draft')
                const page = phone.get('/slow-page', NAVIGATE)
                await entered.promise
                await client(app(ending)).post(`/end/${phoneId}`)
                finish.resolve()
                const answer = await page
                expect([answer.status, answer.headers.get('set-cookie')]).toEqual([200, null])
            }
        }
    )

    redisTest.each(['login', 'logout'])(
        "a %s's own end still gives the other instance its grace minute: the old cookie's change is refused (409), not a new session",
        async (action) => {
            const { a, b } = twoProcesses()
            await acrossProcesses.graceKept(accountApp(a), accountApp(b), action)
        }
    )

    redisTest.each(['/login', '/order'])(
        'a %s on the other instance whose new id is ended before its commit fails (409), as on the ending one',
        async (route) => {
            const { a, b } = twoProcesses()
            const { app, recorded, finish } = awaitingLoginApp(b)
            const phone = client(app)
            const login = phone.post(route)
            await client(accountApp(a)).post(`/end/${await recorded}`)
            finish()
            const refused = await login
            // Not 503 "busy", whose Retry-After a client may obey, signing in again at once.
            expect([refused.status, refused.headers.get('retry-after')]).toEqual([409, null])
            expect(phone.cookie).toBe('')
        }
    )

    redisTest(
        'a login on the other instance from the session ended meanwhile fails (409): its keys are not signed in again',
        async () => {
            const { a, b } = twoProcesses()
            await acrossProcesses.loginFromEndedRefused(a, b)
        }
    )

    redisTest(
        'a logout that leaves a message on the other instance, its session ended meanwhile, goes on with the message',
        async () => {
            const { a, b } = twoProcesses()
            await acrossProcesses.logoutWithMessageGoesOn(a, b)
        }
    )
})

/** A SQLite store whose commits are not one transaction: a synchronous store of your own without `atomically`. */
const withoutTransactions = (store: Store): Store => ({ ...store, atomically: undefined })

describe.each([
    ['', (store: Store) => store],
    [', as a store of your own without atomically', withoutTransactions]
])('endScopedSession on SQLite, one file shared by two store objects (two processes)%s', (_, variant) => {
    const dir = mkdtempSync(join(tmpdir(), 'scoped-state-end-shared-'))
    const stores: Store[] = []
    afterAll(() => {
        for (const store of stores) store.close()
        rmSync(dir, { recursive: true, force: true })
    })
    const instances = () => {
        const path = join(dir, `${crypto.randomUUID()}.db`)
        const [a, b] = [sqliteStore({ path }), sqliteStore({ path })]
        stores.push(a, b)
        const other = variant(b)
        return { one: accountApp(a), two: accountApp(other), ending: a, other }
    }

    test('on the other instance, that browser signs in again at once (200, a new session)', async () => {
        const { one, two } = instances()
        await acrossProcesses.signsInAgain(one, two)
    })

    test('its request in flight on the other instance, the session loaded, saves nothing (409)', async () => {
        const { one, two, other } = instances()
        const { phoneId, status } = await acrossProcesses.inFlightRefused(one, two)
        expect(status).toBe(409)
        // Only the end's mark: no record saved back under the ended id.
        expect(other.load(phoneId, 60_000)).not.toBeTypeOf('string')
    })

    test.each(['login', 'logout'])(
        "a %s's own end still gives the other instance its grace minute: the old cookie's change is refused (409), not a new session",
        async (action) => {
            const { one, two } = instances()
            await acrossProcesses.graceKept(one, two, action)
        }
    )

    test.each(['/login', '/order'])(
        'a %s on the other instance whose new id is ended before its commit fails (409): nothing saved under it',
        async (route) => {
            const { one, other } = instances()
            const { app, recorded, finish } = awaitingLoginApp(other)
            const phone = client(app)
            const answer = phone.post(route)
            const id = await recorded
            await client(one).post(`/end/${id}`)
            finish()
            expect((await answer).status).toBe(409)
            expect(phone.cookie).toBe('')
            expect(other.load(id, 60_000)).not.toBeTypeOf('string')
        }
    )

    test('a login on the other instance from the session ended meanwhile fails (409): its keys are not signed in again', async () => {
        const { ending, other } = instances()
        await acrossProcesses.loginFromEndedRefused(ending, other)
    })

    test('a logout that leaves a message on the other instance, its session ended meanwhile, goes on with the message', async () => {
        const { ending, other } = instances()
        await acrossProcesses.logoutWithMessageGoesOn(ending, other)
    })

    /**
     * Has `ending` (the other instance) run as late in `store`'s next commit as another process can:
     * just before its transaction (`atomically`), or, without one, between its load of the record and
     * its save (SQLite takes no lock in between).
     */
    const endingBeforeNextSave = (store: Store, ending: () => unknown, ended: string) => {
        const landed = () => {
            ending()
            // Landed, not merely sent: the other instance's hooks run synchronously up to the store.
            expect(store.peek?.(ended)).toBeUndefined()
        }
        const { atomically } = store
        if (atomically)
            store.atomically = (writes) => {
                store.atomically = atomically
                landed()
                return atomically(writes)
            }
        else {
            const save = store.save.bind(store)
            store.save = (...args) => {
                store.save = save
                landed()
                return save(...args)
            }
        }
    }

    test('a page load whose save comes just after the other instance ended its session, which changed nothing itself, goes on (200, no cookie)', async () => {
        const { one, other } = instances()
        // A page load drops the default page scope's draft: a save, though the handler changed nothing.
        const two = accountApp(other)
            .post('/draft', ({ scopedStore }) => {
                scopedStore.draft = 'unsent'
                return 'kept'
            })
            .get('/page', () => 'page')
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        await phone.post('/draft')
        endingBeforeNextSave(other, () => client(one).post(`/end/${phoneId}`), phoneId)
        const page = await phone.get('/page', NAVIGATE)
        expect([page.status, page.headers.get('set-cookie')]).toEqual([200, null])
        expect(other.load(phoneId, 60_000)).not.toBeTypeOf('string')
    })

    test('a change whose save comes just after the other instance ended its session, once loaded, is refused (409): the end stands', async () => {
        const { one, two, other } = instances()
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        const old = phone.cookie
        endingBeforeNextSave(other, () => client(one).post(`/end/${phoneId}`), phoneId)
        const refused = await phone.post('/add')
        expect([refused.status, refused.headers.get('set-cookie')]).toEqual([409, null])
        expect(other.load(phoneId, 60_000)).not.toBeTypeOf('string')
        // Saved, the record would be read before the mark: signed in again on every instance.
        for (const app of [one, two]) expect(await client(app, old).text('/me')).toBe('signed out 0')
    })

    test("a logout on the other instance between a request's load and its save is not undone by that save", async () => {
        const { one, two, other } = instances()
        const phone = client(two)
        const phoneId = await (await phone.post('/login')).text()
        const old = phone.cookie
        let logout: Promise<Response> | undefined
        endingBeforeNextSave(other, () => (logout = client(one, old).post('/logout')), phoneId)
        expect((await phone.post('/add')).status).toBe(409)
        expect((await logout)?.status).toBe(200)
        // The instance that served the request knows of the logout only from the store.
        expect(await client(two, old).text('/me')).toBe('signed out 0')
    })

    test("a login whose session the other instance ends between the login's load and its save fails (409): its keys are not signed in again", async () => {
        const { one, two, other } = instances()
        const phone = client(two)
        await phone.post('/add')
        const phoneId = sessionIdOf(phone.cookie)
        endingBeforeNextSave(other, () => client(one).post(`/end/${phoneId}`), phoneId)
        const login = await phone.post('/login')
        expect([login.status, login.headers.get('set-cookie')]).toEqual([409, null])
        expect(await phone.text('/me')).toBe('signed out 0')
    })

    test('a request that came before the end, its session loaded seconds after it (a wait for the lock), starts a new session too', async () => {
        const path = join(dir, `${crypto.randomUUID()}.db`)
        const [a, b] = [sqliteStore({ path }), sqliteStore({ path })]
        stores.push(a, b)
        const clock = manualClock()
        const appOf = (store: Store) =>
            new Elysia()
                // serializeRequests: the load is awaited, as a lock's would be.
                .use(scopedState(setup, { secret: SECRET, store, serializeRequests: true, now: clock.now }))
                .post('/add', ({ scopedStore }) => String(++scopedStore.cart))
                .post('/end/:id', async ({ params, endScopedSession }) => {
                    await endScopedSession(params.id)
                    return 'ended'
                })
        const [one, two] = [appOf(a), appOf(b)]
        const phone = client(two)
        await phone.post('/add')
        const old = phone.cookie
        // The next load of the phone's session waits while the other instance ends it, 10 s after the request came.
        const load = b.load.bind(b)
        let endFirst = async () => {
            clock.advance(10)
            await client(one).post(`/end/${sessionIdOf(old)}`)
        }
        b.load = (id, ttl) => {
            const end = endFirst
            endFirst = async () => {}
            return end().then(() => load(id, ttl))
        }
        const response = await phone.post('/add')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(phone.cookie)).not.toBe(sessionIdOf(old))
    })
})
