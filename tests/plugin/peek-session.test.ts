/**
 * `peekScopedSession(id)`: an app reads another session's state (a data download) on each real
 * store, and that session is left as it was: its expiry, its eviction order, its lock and a
 * request of it in flight.
 */
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { Elysia } from 'elysia'
import {
    memoryStore,
    type RedisStoreOptions,
    redisStore,
    type Store,
    scopedState,
    sqliteStore
} from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

// `as const`: declared apart from `scopedState()`, `preserve: true` would be typed `boolean`, and
// `peekScopedSession` could not tell the scope of the key.
const setup = {
    user: { value: '', preserve: true as const },
    cart: { value: [] as string[], preserve: true as const },
    step: { value: 0 },
    note: { value: 'none' }
}

/** Opens `/add-slowly` until the test calls `finish()`, once the handler has read the cart. */
const gate = () => {
    const entered = Promise.withResolvers<void>()
    const finish = Promise.withResolvers<void>()
    return {
        entered: entered.promise,
        enter: () => entered.resolve(),
        finish: () => finish.resolve(),
        finished: finish.promise
    }
}

const peekApp = (store: Store, slow = gate()) =>
    new Elysia()
        .use(scopedState(setup, { secret: SECRET, store, idleTimeout: 100 }))
        .post('/login', ({ scopedStore, regenerateScopedSession, scopedSessionId }) => {
            regenerateScopedSession()
            scopedStore.user = 'ada'
            return scopedSessionId()
        })
        .get('/page', ({ scopedPageId }) => scopedPageId)
        .post('/cart/:item', ({ scopedStore, params }) => scopedStore.cart.push(params.item))
        .post('/step', ({ scopedStore }) => ++scopedStore.step)
        .post('/logout', ({ destroyScopedSession }) => destroyScopedSession())
        .post('/add-slowly', async ({ scopedStore }) => {
            const cart = scopedStore.cart
            slow.enter()
            await slow.finished
            scopedStore.cart = [...cart, 'lamp']
            return scopedStore.cart.join(',')
        })
        .get('/peek/:id', async ({ params, peekScopedSession }) => (await peekScopedSession(params.id)) ?? 'none')
        .post('/end/:id', async ({ params, endScopedSession }) => {
            await endScopedSession(params.id)
            return 'ended'
        })

type App = ReturnType<typeof peekApp>

/** What `/peek/:id` answers: the snapshot, or `'none'`. */
const peek = async (app: App, id: string) => {
    const response = await client(app).get(`/peek/${id}`)
    expect(response.status).toBe(200)
    const text = await response.text()
    return text === 'none' ? text : JSON.parse(text)
}

/** A phone signed in, with a cart, two steps in its page's scope and one in the default scope. */
const phoneWithState = async (app: App) => {
    const phone = client(app)
    const id = await (await phone.post('/login')).text()
    await phone.post('/cart/mug')
    // A page load starts a page scope, and drops the default one: written after it.
    const page = await phone.text('/page', NAVIGATE)
    await phone.post('/step', inPage(page))
    await phone.post('/step', inPage(page))
    await phone.post('/step')
    return { phone, id }
}

const PHONE_STATE = {
    session: { user: 'ada', cart: ['mug'] },
    // The page's scope, then the default one, written last; `note` at its default in both.
    pages: [
        { step: 2, note: 'none' },
        { step: 1, note: 'none' }
    ]
}

/** The checks every store passes, through `app.handle`. */
const readsAndRefuses = (name: string, make: () => Store, it = test) => {
    describe(`peekScopedSession on ${name}`, () => {
        const stores: Store[] = []
        const fresh = () => {
            const store = make()
            stores.push(store)
            return store
        }
        afterAll(async () => {
            for (const store of stores) await store.close()
        })

        it("reads another session's state: preserved keys, each page scope, defaults filled in", async () => {
            const app = peekApp(fresh())
            const { id } = await phoneWithState(app)
            expect(await peek(app, id)).toEqual(PHONE_STATE)
        })

        it('gives undefined for an unknown id, and for a session ended or signed out', async () => {
            const app = peekApp(fresh())
            expect(await peek(app, 'A'.repeat(24))).toBe('none')
            const ended = await phoneWithState(app)
            await client(app).post(`/end/${ended.id}`)
            expect(await peek(app, ended.id)).toBe('none')
            const signedOut = await phoneWithState(app)
            await signedOut.phone.post('/logout')
            expect(await peek(app, signedOut.id)).toBe('none')
        })

        it('refuses what is no session id (a cookie value, a path) with a TypeError: 500', async () => {
            const app = peekApp(fresh())
            const { phone } = await phoneWithState(app)
            const cookieValue = phone.cookie.split('=')[1] as string
            for (const forged of [cookieValue, 'not-an-id', `${'A'.repeat(23)}.`]) {
                const response = await client(app).get(`/peek/${encodeURIComponent(forged)}`)
                expect([response.status, await response.text()]).toEqual([500, 'peekScopedSession: not a session id.'])
            }
        })
    })
}

readsAndRefuses('the memory store', () => memoryStore())

const dir = mkdtempSync(join(tmpdir(), 'scoped-state-peek-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newPath = () => join(dir, `state-${++files}.db`)
readsAndRefuses('the SQLite store', () => sqliteStore({ path: newPath() }))

const redis = useRedis()
const newPrefix = () => `peek-${crypto.randomUUID()}:`
readsAndRefuses('the Redis store', () => redisStore({ url: redis().url, prefix: newPrefix() }), redisTest)

describe('peekScopedSession leaves the session as it was', () => {
    test('memory: its expiry does not move, and an expired one reads as none, left for the sweep', async () => {
        let now = 0
        const store = memoryStore({ now: () => now, maxSessions: 2 })
        const app = peekApp(store)
        const { id } = await phoneWithState(app)
        // Stored for idleTimeout (100 s) from 0: a read at 60 s that renewed it would keep it to 160 s.
        now = 60_000
        expect(await peek(app, id)).toEqual(PHONE_STATE)
        now = 100_000
        expect(await peek(app, id)).toBe('none')
        // Still in the store, for its sweep: a peek deletes nothing.
        expect((await store.stats()).sessions).toBe(1)
        await store.close()
    })

    test('memory: a peeked session is still the first evicted of those that never came back', async () => {
        const store = memoryStore({ maxSessions: 2 })
        const app = peekApp(store)
        const first = client(app)
        await first.post('/cart/mug')
        await client(app).post('/cart/lamp')
        const firstId = (first.cookie.split('=')[1] as string).split('.')[0] as string
        expect((await peek(app, firstId)).session.cart).toEqual(['mug'])
        // A third session evicts the oldest of the first writes: the peeked one, as if unread.
        await client(app).post('/cart/cup')
        expect(await peek(app, firstId)).toBe('none')
        expect((await store.stats()).sessions).toBe(2)
        await store.close()
    })

    test("SQLite: the row's expiry is not written, and an expired row reads as none and is left for the sweep", async () => {
        let now = Date.now()
        const path = newPath()
        const store = sqliteStore({ path, now: () => now })
        const app = peekApp(store)
        const { id } = await phoneWithState(app)
        const file = new Database(path, { readonly: true })
        const expiryOf = () =>
            (file.query('SELECT expires FROM scoped_state WHERE id = ?').get(id) as { expires: number } | null)?.expires
        const stored = expiryOf() as number
        // Within the idle timeout of its expiry: a load here would write a later one.
        now += 50_000
        expect(await peek(app, id)).toEqual(PHONE_STATE)
        expect(expiryOf()).toBe(stored)
        now = stored
        expect(await peek(app, id)).toBe('none')
        expect(expiryOf()).toBe(stored)
        file.close()
        await store.close()
    })

    describe('Redis', () => {
        const stores: Store[] = []
        afterAll(async () => {
            for (const store of stores) await store.close()
        })

        redisTest("the record's expiry is not renewed, and an expired one reads as none", async () => {
            const prefix = newPrefix()
            const store = redisStore({ url: redis().url, prefix })
            stores.push(store)
            const app = peekApp(store)
            const { id } = await phoneWithState(app)
            const admin = new RedisClient(redis().url)
            const key = `${prefix}s:${id}`
            // Shorter than the session's 100 s: a read that renewed the record would raise it back.
            await admin.send('PEXPIRE', [key, '50000'])
            expect(await peek(app, id)).toEqual(PHONE_STATE)
            expect(Number(await admin.send('PTTL', [key]))).toBeLessThanOrEqual(50_000)
            await admin.send('PEXPIRE', [key, '1'])
            while (await admin.exists(key)) await Bun.sleep(5)
            expect(await peek(app, id)).toBe('none')
            admin.close()
        })

        /** A Redis store of `options`, and a request of the phone's session held in its handler, its lock taken. */
        const heldInFlight = async (options: Partial<RedisStoreOptions>) => {
            const store = redisStore({ url: redis().url, prefix: newPrefix(), lockTimeout: 300, ...options })
            stores.push(store)
            const slow = gate()
            const app = peekApp(store, slow)
            const { phone, id } = await phoneWithState(app)
            const inFlight = phone.post('/add-slowly')
            await slow.entered
            return { store, slow, app, phone, id, inFlight }
        }

        redisTest('a request of that session in flight keeps its lock, and its change is saved', async () => {
            const { slow, app, id, inFlight } = await heldInFlight({})
            // Answered while the request holds the session's lock: what was saved before it.
            expect(await peek(app, id)).toEqual(PHONE_STATE)
            slow.finish()
            const response = await inFlight
            expect([response.status, await response.text()]).toEqual([200, 'mug,lamp'])
            expect((await peek(app, id)).session.cart).toEqual(['mug', 'lamp'])
        })

        redisTest(
            "unlike the store's own load(id): the request in flight loses its change (503), the load waits out lockTimeout, and the lock is left to its lease",
            async () => {
                // A lease far longer than the test: the lock left behind cannot lapse before the last request.
                const { store, slow, app, phone, id, inFlight } = await heldInFlight({ lockLease: 60_000 })
                const loading = store.load(id, 60_000)
                slow.finish()
                expect((await inFlight).status).toBe(503)
                await expect(loading).rejects.toMatchObject({ busy: true })
                expect((await peek(app, id)).session.cart).toEqual(['mug'])
                expect((await phone.post('/step')).status).toBe(503)
            }
        )
    })
})

describe('peekScopedSession and the store', () => {
    test("hands the app its own copy: changing it changes neither the store's record nor the next read", async () => {
        const store = memoryStore()
        const phone = client(peekApp(store))
        await phone.post('/cart/mug')
        const id = (phone.cookie.split('=')[1] as string).split('.')[0] as string
        const app = new Elysia()
            .use(scopedState(setup, { secret: SECRET, store }))
            .get('/twice', async ({ peekScopedSession }) => {
                const first = await peekScopedSession(id)
                first?.session.cart.push('stolen')
                return (await peekScopedSession(id))?.session.cart ?? []
            })
        expect(await (await client(app).get('/twice')).json()).toEqual(['mug'])
        expect(store.load(id, 60_000)).toBe('{"s":{"cart":["mug"]},"p":{}}')
        await store.close()
    })

    test('a store of your own without peek(id): the call throws, naming the method; other calls still work', async () => {
        const { peek: _, ...withoutPeek } = memoryStore()
        const app = peekApp(withoutPeek)
        const { id } = await phoneWithState(app)
        const response = await client(app).get(`/peek/${id}`)
        expect(response.status).toBe(500)
        expect(await response.text()).toContain('the store has no peek(id) method')
        await withoutPeek.close()
    })

    test("a peek(id) answering other than a string or undefined (a driver's null) throws, naming it", async () => {
        const store = memoryStore()
        const app = peekApp({ ...store, peek: () => null as unknown as undefined })
        const { id } = await phoneWithState(app)
        const response = await client(app).get(`/peek/${id}`)
        expect([response.status, await response.text()]).toEqual([
            500,
            "scopedState: the store's peek() answered null: it must answer the string its save() was given, as it was, or undefined when it holds none."
        ])
        await store.close()
    })
})
