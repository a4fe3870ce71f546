/**
 * Concurrent requests of one session never overwrite each other's writes.
 * Synchronous stores (memory, SQLite): a synchronous handler's load, change and save
 * cannot interleave with another request's; an awaiting handler's changes are merged
 * key by key. Asynchronous stores (Redis): one request at a time per session.
 */
import { describe, expect, spyOn, test } from 'bun:test'
import { Elysia } from 'elysia'
import { memoryStore, type Store, scopedState } from '../../plugins/scoped-state'
import { asynchronous } from '../helpers/asynchronous-store'
import { client, inPage, NAVIGATE, overHttp, sessionIdOf } from '../helpers/client'
import { SECRET, slowIncrementApp, stateApp, stuckApp } from '../helpers/plugin-app'

test('100 parallel increments of one session end at 100', async () => {
    const user = client(stateApp())
    await user.get('/count')
    await Promise.all(Array.from({ length: 100 }, () => user.post('/increment')))
    expect(await user.text('/count')).toBe('100')
})

test('awaiting handlers that change different keys keep both changes', async () => {
    const app = stateApp()
        .post('/slow-theme', async ({ scopedStore }) => {
            await Bun.sleep(5)
            scopedStore.theme = 'dark'
            return 'ok'
        })
        .post('/slow-tag', async ({ scopedStore }) => {
            scopedStore.tags.push('first')
            await Bun.sleep(10)
            return 'ok'
        })
    const user = client(app)
    await user.post('/increment')
    await Promise.all([user.post('/slow-theme'), user.post('/slow-tag'), user.post('/increment')])
    expect(await (await user.get('/state')).json()).toMatchObject({ count: 2, theme: 'dark', tags: ['first'] })
})

test('with an asynchronous store, awaiting read-modify-write handlers run one at a time', async () => {
    const user = client(slowIncrementApp({ store: asynchronous(memoryStore()) }, 1))
    await user.get('/count')
    await Promise.all(Array.from({ length: 50 }, () => user.post('/slow-increment')))
    expect(await user.text('/count')).toBe('50')
})

test('serializeRequests queues awaiting handlers of one session with a synchronous store too', async () => {
    const user = client(slowIncrementApp({ serializeRequests: true }, 1))
    await user.get('/count')
    const responses = await Promise.all(Array.from({ length: 30 }, () => user.post('/slow-increment')))
    expect(responses.every((response) => response.status === 200)).toBe(true)
    expect(await user.text('/count')).toBe('30')
})

test('sessions do not wait for each other', async () => {
    const gate = Promise.withResolvers<void>()
    const app = stateApp({ store: asynchronous(memoryStore()) }).post('/wait', async ({ scopedStore }) => {
        await gate.promise
        return ++scopedStore.count
    })
    const slow = client(app)
    const fast = client(app)
    await slow.get('/count')
    await fast.get('/count')
    const pending = slow.post('/wait')
    expect(await (await fast.post('/increment')).text()).toBe('1')
    gate.resolve()
    expect(await (await pending).text()).toBe('1')
})

test('awaiting handlers that change the same key never overwrite each other: the later one gets 409', async () => {
    const user = client(slowIncrementApp({}, 5))
    await user.get('/count')
    const responses = await Promise.all(Array.from({ length: 10 }, () => user.post('/slow-increment')))
    const saved = responses.filter((response) => response.status === 200).length
    const refused = responses.filter((response) => response.status === 409)
    expect(saved + refused.length).toBe(10)
    expect(refused.length).toBeGreaterThan(0)
    expect(await refused[0]?.text()).toContain('Another request changed the same state at the same time')
    expect(await user.text('/count')).toBe(String(saved))
})

/**
 * An app with `onError` registered first (Elysia mutates the app it is given), then the plugin
 * (locking), a counter, and a route that changes the count, then throws.
 */
const failingApp = (options: { serializeRequests?: boolean; store?: Store }, onError?: () => unknown) => {
    const app = new Elysia()
    if (onError) app.onError(onError)
    return app
        .use(scopedState({ count: { value: 0 } }, { secret: SECRET, ...options }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .post('/fail', ({ scopedStore }) => {
            scopedStore.count = 99
            throw new Error('the handler failed')
        })
}

test("a failed request answered by the app's own error hook still lets its session's next request in", async () => {
    // Elysia stops at the first error hook that answers: here the app's, registered before the plugin's hooks.
    const app = failingApp({ serializeRequests: true }, () => 'sorry')
    const user = client(app)
    await user.post('/increment')
    const failed = await user.post('/fail')
    expect(await failed.text()).toBe('sorry')
    expect(await (await user.post('/increment')).text()).toBe('2')
})

describe('a failed request that no error hook answers (Elysia runs after-response hooks late, or not at all)', () => {
    const FORGED_PAGE = `AAAAAAAAAAAA.${'A'.repeat(43)}`
    for (const [hooks, onError] of [
        ['no error hook', undefined],
        ['an error hook that returns nothing', () => undefined]
    ] as const)
        test(`with ${hooks}, lets go of its session at once: 500 from the handler, 409 from the plugin`, async () => {
            // Held, the session would keep its next request waiting a whole lease: past the test's timeout.
            const store = { ...asynchronous(memoryStore()), lockLease: 120_000 }
            const user = client(failingApp({ store }, onError))
            await user.post('/increment')
            const id = sessionIdOf(user.cookie)
            const release = spyOn(store, 'release')
            expect((await user.post('/fail')).status).toBe(500)
            expect(release).toHaveBeenCalledWith(id)
            expect((await user.post('/increment', inPage(FORGED_PAGE))).status).toBe(409)
            expect(release).toHaveBeenCalledTimes(2)
            expect(await (await user.post('/increment')).text()).toBe('2')
        })
})

test("a login whose delete of the old id failed still releases the old id's store lock, which no save ended", async () => {
    const inner = asynchronous(memoryStore())
    const store = {
        ...inner,
        delete: async () => {
            throw new Error('the connection is closed')
        }
    }
    const user = client(stateApp({ store }))
    await user.post('/increment')
    const old = sessionIdOf(user.cookie)
    const release = spyOn(store, 'release')
    const warn = spyOn(console, 'warn').mockImplementation(() => {})
    try {
        expect((await user.post('/login')).status).toBe(200)
    } finally {
        warn.mockRestore()
    }
    expect(release).toHaveBeenCalledWith(old)
})

test('a store whose release throws at once (its connection closed) fails no response and holds no session', async () => {
    const store = {
        ...asynchronous(memoryStore()),
        release: () => {
            throw new Error('the connection is closed')
        }
    }
    const user = client(stateApp({ store }))
    await user.post('/increment')
    // A read-only request ends its hold with release; its next request waits for that end.
    for (let i = 0; i < 3; i++) {
        const response = await user.get('/count')
        expect([response.status, await response.text()]).toEqual([200, '1'])
    }
    expect(await (await user.post('/increment')).text()).toBe('2')
})

test("instances sharing one store run a session's requests one at a time across their routes", async () => {
    const store = asynchronous(memoryStore())
    const app = new Elysia().use(slowIncrementApp({ store }, 1)).use(
        new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET, store }))
            .post('/other/slow-increment', async ({ scopedStore }) => {
                const seen = scopedStore.count
                await Bun.sleep(1)
                scopedStore.count = seen + 1
                return scopedStore.count
            })
    )
    const user = client(app)
    await user.get('/count')
    const paths = Array.from({ length: 40 }, (_, i) => (i % 2 ? '/slow-increment' : '/other/slow-increment'))
    const responses = await Promise.all(paths.map((path) => user.post(path)))
    expect(responses.map((response) => response.status)).toEqual(Array(40).fill(200))
    expect(await user.text('/count')).toBe('40')
})

test('a handler that awaits before it first touches the state works on the state as stored then', async () => {
    const app = stateApp()
        .post('/slow-then-increment', async ({ scopedStore }) => {
            await Bun.sleep(5)
            return ++scopedStore.count
        })
        .post('/slow-then-add', async ({ scopedStore }) => {
            await Bun.sleep(5)
            scopedStore.tags.push(`tag ${scopedStore.tags.length}`)
            return 'added'
        })
        .post('/slow-then-full-reset', async ({ resetScopedStore }) => {
            await Bun.sleep(20)
            resetScopedStore(true)
            return 'reset'
        })
        .post('/slow-then-login', async ({ regenerateScopedSession }) => {
            await Bun.sleep(20)
            regenerateScopedSession()
            return 'signed in'
        })
    const user = client(app)
    await user.get('/count')
    // A double click, two tabs: no change is made to a record older than another's save.
    const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => user.post(i % 2 ? '/slow-then-increment' : '/slow-then-add'))
    )
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200))
    const state = await (await user.get('/state')).json()
    expect(state.count).toBe(10)
    expect([...state.tags].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `tag ${i}`).sort())
    // A login (a password check awaits first) carries the cart another request changed meanwhile.
    await user.post('/cart/book')
    const before = user.cookie
    const login = user.post('/slow-then-login')
    expect(await (await user.post('/cart/pen')).text()).toBe('book,pen')
    expect(await (await login).text()).toBe('signed in')
    expect(user.cookie).not.toBe(before)
    expect(await user.text('/cart')).toBe('book,pen')
    // A full reset made after another request's change resets that change too.
    const reset = user.post('/slow-then-full-reset')
    await user.post('/theme/dark')
    expect((await reset).status).toBe(200)
    expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'light', count: 0, tags: [] })
})

test('a handler that awaits before it first touches the state also sees what another instance saved through its queue', async () => {
    const store = memoryStore()
    const app = new Elysia()
        .use(
            stateApp({ store }).post('/slow-then-increment', async ({ scopedStore }) => {
                await Bun.sleep(20)
                return ++scopedStore.count
            })
        )
        .use(
            new Elysia({ prefix: '/queued' })
                .use(scopedState({ count: { value: 0 } }, { secret: SECRET, store, serializeRequests: true }))
                .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        )
    const user = client(app)
    await user.post('/increment')
    const slow = user.post('/slow-then-increment')
    expect(await (await user.post('/queued/increment')).text()).toBe('2')
    expect([(await slow).status, await user.text('/count')]).toEqual([200, '3'])
})

test('a queued request rebases onto what an instance without serializeRequests saved while it held its turn', async () => {
    // That instance's requests take no turn: the queued request must not save over their changes.
    const store = memoryStore()
    let entered = Promise.withResolvers<void>()
    let gate = Promise.withResolvers<void>()
    const queued = stateApp({ store, serializeRequests: true }).post(
        '/slow-tag/:tag',
        async ({ scopedStore, params }) => {
            scopedStore.tags.push(params.tag)
            entered.resolve()
            await gate.promise
            return scopedStore.tags.join(',')
        }
    )
    const app = new Elysia().use(stateApp({ store })).use(new Elysia({ prefix: '/queued' }).use(queued))
    const user = client(app)
    await user.post('/increment')
    const tagged = user.post('/queued/slow-tag/first')
    await entered.promise
    expect(await (await user.post('/theme/dark')).text()).toBe('dark')
    gate.resolve()
    expect([(await tagged).status, await (await tagged).text()]).toEqual([200, 'first'])
    expect(await (await user.get('/state')).json()).toMatchObject({ count: 1, tags: ['first'], theme: 'dark' })
    // One that changed the same key fails with 409 and writes nothing, as on the synchronous path.
    entered = Promise.withResolvers<void>()
    gate = Promise.withResolvers<void>()
    const collided = user.post('/queued/slow-tag/second')
    await entered.promise
    expect(await (await user.post('/tag/other')).text()).toBe('first,other')
    gate.resolve()
    expect((await collided).status).toBe(409)
    expect(await user.text('/tags')).toBe('first,other')
})

test('a queued handler that awaits before it first touches the state sees what an instance without serializeRequests saved meanwhile', async () => {
    const store = memoryStore()
    const entered = Promise.withResolvers<void>()
    const gate = Promise.withResolvers<void>()
    const queued = stateApp({ store, serializeRequests: true }).post(
        '/slow-then-increment',
        async ({ scopedStore }) => {
            entered.resolve()
            await gate.promise
            return ++scopedStore.count
        }
    )
    const app = new Elysia().use(stateApp({ store })).use(new Elysia({ prefix: '/queued' }).use(queued))
    const user = client(app)
    await user.post('/increment')
    const slow = user.post('/queued/slow-then-increment')
    await entered.promise
    expect(await (await user.post('/increment')).text()).toBe('2')
    gate.resolve()
    // Read before that save, the count would collide with it (409), as a handler that read first does.
    expect([(await slow).status, await user.text('/count')]).toEqual([200, '3'])
})

test('a queued login or logout leaves no moment for an instance without serializeRequests to save into the ended session', async () => {
    // With a synchronous store, the queued request's check, save and delete run without a break, as on
    // the synchronous path. The other request commits some microtasks after the gate opens: one of these
    // counts met the await there was between the save and the delete (a 200 whose change was deleted
    // with the old session, or a save that brought the ended session back).
    for (const ending of ['login', 'logout'])
        for (const stored of [true, false])
            for (let ticks = 0; ticks < 6; ticks++) {
                const store = memoryStore()
                const gate = Promise.withResolvers<void>()
                const queued = stateApp({ store, serializeRequests: true }).post(
                    '/slow-end',
                    async ({ scopedStore, regenerateScopedSession, destroyScopedSession }) => {
                        scopedStore.theme
                        await gate.promise
                        if (ending === 'login') regenerateScopedSession()
                        else destroyScopedSession()
                        return ending
                    }
                )
                const plain = stateApp({ store }).post('/slow-theme', async ({ scopedStore }) => {
                    await gate.promise
                    for (let i = 0; i < ticks; i++) await Promise.resolve()
                    scopedStore.theme = 'dark'
                    return 'dark'
                })
                const app = new Elysia().use(plain).use(new Elysia({ prefix: '/queued' }).use(queued))
                const user = client(app)
                await (stored ? user.post('/cart/book') : user.get('/count'))
                const old = sessionIdOf(user.cookie)
                const other = client(app, user.cookie)
                const ended = user.post('/queued/slow-end')
                const themed = other.post('/slow-theme')
                await Bun.sleep(1)
                gate.resolve()
                const statuses = [(await ended).status, (await themed).status]
                const at = `${ending}, ${stored ? 'stored' : 'nothing stored'}, ${ticks} ticks`
                // A login carries the theme as it read it: both accepted, the change would be lost.
                if (ending === 'login') expect(statuses, at).not.toEqual([200, 200])
                // Ended, the old session holds nothing, whatever the other request answered.
                if (statuses[0] === 200) expect(store.load(old, 60_000), at).toBeUndefined()
            }
})

test('an awaiting full reset that overlaps a change of a preserved key gets 409 instead of erasing it', async () => {
    // Its handler read the state before awaiting: the reset meant the state it read.
    const app = stateApp()
        .post('/slow-full-reset', async ({ scopedStore, resetScopedStore }) => {
            scopedStore.count
            await Bun.sleep(20)
            resetScopedStore(true)
            return 'reset'
        })
        .post('/slow-full-then-page-reset', async ({ scopedStore, resetScopedStore }) => {
            scopedStore.count
            await Bun.sleep(20)
            resetScopedStore(true)
            resetScopedStore()
            return 'reset'
        })
    for (const path of ['/slow-full-reset', '/slow-full-then-page-reset']) {
        const user = client(app)
        await user.post('/increment')
        const slow = user.post(path)
        await user.post('/theme/dark')
        expect((await slow).status).toBe(409)
        expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'dark', count: 1 })
    }
})

test('an awaiting login that overlaps a change of a preserved key gets 409 instead of losing it; a retry carries it', async () => {
    for (const stored of [true, false]) {
        const login = Promise.withResolvers<void>()
        // Its handler read the state before awaiting: the login carries the keys as it read them.
        const app = stateApp().post('/slow-login', async ({ scopedStore, regenerateScopedSession }) => {
            scopedStore.cart
            await login.promise
            regenerateScopedSession()
            return 'signed in'
        })
        const user = client(app)
        // With nothing stored yet, the other request's save is the session's first.
        await (stored ? user.post('/cart/book') : user.get('/count'))
        const slow = user.post('/slow-login')
        expect(await (await user.post('/cart/pen')).text()).toBe(stored ? 'book,pen' : 'pen')
        login.resolve()
        expect((await slow).status).toBe(409)
        expect(await user.text('/cart')).toBe(stored ? 'book,pen' : 'pen')
        const before = user.cookie
        expect(await (await user.post('/slow-login')).text()).toBe('signed in')
        expect(user.cookie).not.toBe(before)
        expect(await user.text('/cart')).toBe(stored ? 'book,pen' : 'pen')
    }
})

test('an awaiting logout that leaves a message in a new session is not refused for a change of the old one meanwhile', async () => {
    // It carries nothing over (RECIPES.md: a message for the next page): the old session's changes are no collision.
    const gate = Promise.withResolvers<void>()
    const app = stateApp().post(
        '/slow-logout',
        async ({ scopedStore, destroyScopedSession, regenerateScopedSession }) => {
            destroyScopedSession()
            regenerateScopedSession()
            await gate.promise
            scopedStore.theme = 'bye'
            return 'signed out'
        }
    )
    const user = client(app)
    await user.post('/cart/book')
    const before = user.cookie
    const logout = user.post('/slow-logout')
    expect(await (await user.post('/cart/pen')).text()).toBe('book,pen')
    gate.resolve()
    expect([(await logout).status, await (await logout).text()]).toEqual([200, 'signed out'])
    expect(user.cookie).not.toBe(before)
    expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'bye', cart: { items: [] } })
})

test("an awaiting reset of the page's scope that overlaps a change in that scope gets 409 instead of erasing it", async () => {
    const gate = Promise.withResolvers<void>()
    const app = stateApp().post('/slow-reset', async ({ resetScopedStore }) => {
        resetScopedStore()
        await gate.promise
        return 'reset'
    })
    const user = client(app)
    await user.post('/increment')
    const slow = user.post('/slow-reset')
    expect(await (await user.post('/increment')).text()).toBe('2')
    gate.resolve()
    expect((await slow).status).toBe(409)
    expect(await user.text('/count')).toBe('2')
})

test("an awaiting full reset that overlaps a change in another tab's page scope gets 409 too", async () => {
    const app = stateApp().post('/slow-full-reset', async ({ scopedStore, resetScopedStore }) => {
        scopedStore.count
        await Bun.sleep(20)
        resetScopedStore(true)
        return 'reset'
    })
    const user = client(app)
    const tab = (await (await user.get('/state', NAVIGATE)).json()).page
    await user.post('/increment')
    const slow = user.post('/slow-full-reset')
    await user.post('/increment', inPage(tab))
    expect((await slow).status).toBe(409)
    expect(await (await user.get('/state', inPage(tab))).json()).toMatchObject({ count: 1 })
})

test.each([
    ['sharing a store, taking turns', true, true],
    ['sharing a store', true, false],
    ['each with its own store', false, false]
])(
    'two instances on one route (%s) fail with a clear error, and save nothing',
    async (_, shared, serializeRequests) => {
        const store = memoryStore()
        const options = () => ({ secret: SECRET, store: shared ? store : memoryStore(), serializeRequests })
        const app = new Elysia()
            .onError(({ error }) => (error as Error).message)
            .use(scopedState({ count: { value: 0 } }, options()))
            .use(scopedState({ theme: { value: 'light', preserve: true } }, { ...options(), cookieName: 'prefs' }))
            .post('/both', ({ scopedStore }) => {
                scopedStore.count++
                return 'both'
            })
        for (let i = 0; i < 2; i++) {
            const response = await client(app).post('/both')
            expect(response.status).toBe(500)
            expect(await response.text()).toContain('two instances run on one route')
            expect(response.headers.get('set-cookie')).toBeNull()
        }
        expect((await store.stats()).sessions).toBe(0)
    }
)

test('one Request object handled twice at once (a retry, a sub-app) waits its turn: only one route is a misuse', async () => {
    const app = slowIncrementApp({ serializeRequests: true }, 5)
    const user = client(app)
    await user.post('/increment')
    const shared = new Request('http://localhost/slow-increment', {
        method: 'POST',
        headers: { cookie: user.cookie }
    })
    const responses = await Promise.all([app.handle(shared), app.handle(shared)])
    expect(responses.map((response) => response.status)).toEqual([200, 200])
    expect(await user.text('/count')).toBe('3')
})

describe("a request that holds its session past the store's lockLease", () => {
    /** `/stuck` on an asynchronous memory store whose lease is `lockLease`. */
    const stuckOn = (lockLease: number) => stuckApp({ store: { ...asynchronous(memoryStore()), lockLease } })

    test('loses it to a request that waits: that one goes on, the late one answers 503 and changes nothing', async () => {
        const { app, stuck } = stuckOn(100)
        const user = client(app)
        await user.post('/increment')
        const late = user.post('/stuck')
        expect(await (await user.post('/increment')).text()).toBe('2')
        stuck.resolve()
        const refused = await late
        expect(refused.status).toBe(503)
        // Its hold lapsed: one session held too long, not the store failing (`busy`).
        expect(await refused.text()).toBe(
            'Another request of this session is still being handled, please retry in a moment.'
        )
        expect(await user.text('/count')).toBe('2')
        // The session is not left locked by either.
        expect(await (await user.post('/increment')).text()).toBe('3')
    })

    test('a save already sent when the lease runs out is waited for: the waiting request reads what it wrote', async () => {
        // A store of its own without a lock (a table in a database): only the plugin keeps the
        // session's requests apart, so a request let in before the save lands would undo it.
        const inner = asynchronous(memoryStore())
        const saving = Promise.withResolvers<void>()
        let slowSaves = 1
        const store: Store = {
            ...inner,
            lockLease: 200,
            save: async (id, record, ttl) => {
                if (slowSaves-- > 0) await saving.promise
                return inner.save(id, record, ttl)
            }
        }
        const user = client(stateApp({ store }))
        await user.get('/count')
        const first = user.post('/increment')
        const second = user.post('/increment')
        // Past the lease, so the first request's hold lapsed while its save was on its way; a
        // lease before its write would have run one lease too long.
        await Bun.sleep(300)
        saving.resolve()
        expect([await (await first).text(), await (await second).text()]).toEqual(['1', '2'])
        expect(await user.text('/count')).toBe('2')
    })

    test('a late request that changes nothing is answered as usual', async () => {
        const stuck = Promise.withResolvers<void>()
        const app = stateApp({ store: { ...asynchronous(memoryStore()), lockLease: 50 } }).get(
            '/slow-count',
            async ({ scopedStore }) => {
                await stuck.promise
                return scopedStore.count
            }
        )
        const user = client(app)
        await user.post('/increment')
        const late = user.get('/slow-count')
        expect(await (await user.post('/increment')).text()).toBe('2')
        stuck.resolve()
        const answered = await late
        expect(answered.status).toBe(200)
        expect(await answered.text()).toBe('1')
        expect(await (await user.post('/increment')).text()).toBe('3')
    })

    test('the late one is refused, and releases nothing, while the request it lost the session to still holds it', async () => {
        const first = Promise.withResolvers<void>()
        const second = Promise.withResolvers<void>()
        const secondIn = Promise.withResolvers<void>()
        const store = { ...asynchronous(memoryStore()), lockLease: 50 }
        // A store's lock is per session, not per request: released by the late one, it would be the next one's.
        const release = spyOn(store, 'release')
        const app = stateApp({ store })
            .post('/first', async ({ scopedStore }) => {
                await first.promise
                scopedStore.count = 99
                return 'late'
            })
            .post('/second', async ({ scopedStore }) => {
                secondIn.resolve()
                await second.promise
                return ++scopedStore.count
            })
        const user = client(app)
        await user.post('/increment')
        const late = user.post('/first')
        const next = user.post('/second')
        await secondIn.promise
        const releasedBefore = release.mock.calls.length
        first.resolve()
        expect((await late).status).toBe(503)
        expect(release).toHaveBeenCalledTimes(releasedBefore)
        second.resolve()
        expect(await (await next).text()).toBe('2')
        expect(await user.text('/count')).toBe('2')
    })

    test('with two stuck requests ahead, each lapses in turn and the third goes on', async () => {
        const { app, stuck } = stuckOn(50)
        const user = client(app)
        await user.post('/increment')
        const late = [user.post('/stuck'), user.post('/stuck')]
        expect(await (await user.post('/increment')).text()).toBe('2')
        stuck.resolve()
        expect((await Promise.all(late)).map((response) => response.status)).toEqual([503, 503])
    })

    test('a request handed the session early gets a whole lease of its own', async () => {
        const stuck = Promise.withResolvers<void>()
        const app = stateApp({ store: { ...asynchronous(memoryStore()), lockLease: 200 } })
            .post('/quick', async () => {
                await Bun.sleep(100)
                return 'quick'
            })
            .post('/held', async ({ scopedStore }) => {
                await stuck.promise
                scopedStore.count = 50
                return 'held'
            })
        const user = client(app)
        await user.post('/increment')
        const quick = user.post('/quick')
        const held = user.post('/held')
        const next = user.post('/increment')
        // `/held` has the session from about 100 ms on: at 250 ms, its own lease still runs.
        expect(await (await quick).text()).toBe('quick')
        await Bun.sleep(150)
        stuck.resolve()
        expect((await held).status).toBe(200)
        expect(await (await next).text()).toBe('51')
    })

    test('keeps it while no other request of the session waits', async () => {
        const { app, stuck } = stuckOn(20)
        const user = client(app)
        await user.post('/increment')
        const slow = user.post('/stuck')
        await Bun.sleep(100)
        stuck.resolve()
        expect(await (await slow).text()).toBe('late')
        expect(await user.text('/count')).toBe('99')
    })

    test('keeps it, once handed it by the request before, while no other request waits', async () => {
        const first = Promise.withResolvers<void>()
        const app = stateApp({ store: { ...memoryStore(), lockLease: 50 }, serializeRequests: true })
            .post('/first', async () => {
                await first.promise
                return 'first'
            })
            .post('/long', async ({ scopedStore }) => {
                await Bun.sleep(200)
                scopedStore.count = 50
                return 'long'
            })
        const user = client(app)
        await user.post('/increment')
        const [before, handed] = [user.post('/first'), user.post('/long')]
        await Bun.sleep(10)
        first.resolve()
        expect([(await before).status, (await handed).status]).toEqual([200, 200])
        expect(await user.text('/count')).toBe('50')
    })

    /**
     * `/login` (a regenerate) on a store whose save first awaits `wait()`, started by
     * `loginWhileOneWaits()`: a session with a book in its cart signs in while another of its
     * requests (adding a pencil) waits for its turn.
     */
    const loginOnSlowSave = (lockLease: number, wait: () => Promise<unknown>) => {
        const inner = asynchronous(memoryStore())
        let slowSaves = 0
        const store: Store = {
            ...inner,
            lockLease,
            save: async (id, record, ttl) => {
                if (slowSaves-- > 0) await wait()
                return inner.save(id, record, ttl)
            }
        }
        const app = stateApp({ store }).post('/login', ({ regenerateScopedSession }) => {
            regenerateScopedSession()
            return 'signed in'
        })
        const loginWhileOneWaits = async () => {
            const user = client(app)
            await user.post('/cart/book')
            const before = user.cookie
            slowSaves = 1
            return { user, before, login: user.post('/login'), waiting: client(app, before).post('/cart/pencil') }
        }
        return { app, store, loginWhileOneWaits }
    }

    test('a login whose save outlasts it keeps its turn: the request that waited finds the old session ended', async () => {
        // Past the lease, within a lease more.
        const { loginWhileOneWaits } = loginOnSlowSave(200, () => Bun.sleep(300))
        const { user, before, login, waiting } = await loginWhileOneWaits()
        expect(await (await login).text()).toBe('signed in')
        expect(user.cookie).not.toBe(before)
        // Let in while the save was on its way, it would have run on the session the login ended.
        expect((await waiting).status).toBe(409)
        expect(await (await user.post('/cart/pen')).text()).toBe('book,pen')
    })

    test('a write begun past the lease, while no request waited, keeps its turn for a lease of its own', async () => {
        const inner = asynchronous(memoryStore())
        /** Called by the next save, which then takes half a lease. */
        let onSlowSave: (() => void) | undefined
        const store: Store = {
            ...inner,
            lockLease: 200,
            save: async (id, record, ttl) => {
                const started = onSlowSave
                onSlowSave = undefined
                if (started) {
                    started()
                    await Bun.sleep(100)
                }
                return inner.save(id, record, ttl)
            }
        }
        const app = stateApp({ store }).post('/slow-increment', async ({ scopedStore }) => {
            await Bun.sleep(450)
            return ++scopedStore.count
        })
        const user = client(app)
        await user.get('/count')
        let second: Promise<Response> | undefined
        // The next request comes while the slow one writes, two leases after it began.
        onSlowSave = () => {
            second = user.post('/increment')
        }
        expect(await (await user.post('/slow-increment')).text()).toBe('1')
        expect(await second?.then((response) => response.text())).toBe('2')
        expect(await user.text('/count')).toBe('2')
    })

    test('a write that runs a lease past the lease loses its turn: a store call that never settles stalls no session for good', async () => {
        const saving = Promise.withResolvers<void>()
        const { app, store, loginWhileOneWaits } = loginOnSlowSave(50, () => saving.promise)
        const { before, login, waiting } = await loginWhileOneWaits()
        // Let in after two leases, while the login's save still hangs.
        expect(await (await waiting).text()).toBe('book,pencil')
        saving.resolve()
        // The old id is the other request's now: the login deletes nothing, and is refused.
        const refused = await login
        expect([refused.status, refused.headers.get('set-cookie')]).toEqual([503, null])
        expect(await store.load(sessionIdOf(before), 60_000)).toContain('pencil')
        expect(await client(app, before).text('/cart')).toBe('book,pencil')
    })

    test('after an error hook that throws, the next request waits out the lease instead of forever', async () => {
        // Bun answers what its own `error` handler returns.
        const app = new Elysia({ serve: { error: () => new Response('sorry', { status: 500 }) } })
            .use(
                stateApp({ store: { ...asynchronous(memoryStore()), lockLease: 100 } })
                    .onError(() => {
                        throw new Error('the error hook failed too')
                    })
                    .post('/fail', () => {
                        throw new Error('the handler failed')
                    })
            )
            .listen({ port: 0, hostname: '127.0.0.1' })
        try {
            const user = client(overHttp(app.server?.port))
            await user.post('/increment')
            // Elysia skips the plugin's after-response hook, which would let go of the session.
            expect((await user.post('/fail')).status).toBe(500)
            expect(await (await user.post('/increment')).text()).toBe('2')
        } finally {
            await app.stop()
        }
    })
})
