/** Settings of the app's Elysia that the plugin cannot work with are refused as the app starts listening. */
import { expect, test } from 'bun:test'
import { Elysia, type ElysiaConfig, t } from 'elysia'
import { memoryStore, ScopedStateSetupError, scopedState } from '../../plugins/scoped-state'
import { SECRET } from '../helpers/plugin-app'

const FLASH_SECRET = 'another-secret-of-at-least-32-bytes'

/** The plugin's options that matter here. */
interface PluginOptions {
    serializeRequests?: boolean
    cookieName?: string
}

const appWith = (config: ElysiaConfig<''>, options: PluginOptions = {}) =>
    new Elysia(config)
        .use(scopedState({ count: { value: 0 } }, { secret: SECRET, store: memoryStore(), ...options }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)

/** What listening throws; the server, already up when a start hook throws, is stopped. */
const refusal = async (config: ElysiaConfig<''>, options: PluginOptions = {}) => {
    const app = appWith(config, options)
    try {
        app.listen({ port: 0, hostname: '127.0.0.1' })
    } catch (error) {
        return error
    } finally {
        await app.stop(true)
    }
}

test("`aot: false` is refused: an app's after-hook that answers would skip the save", async () => {
    const error = await refusal({ aot: false })
    expect(error).toBeInstanceOf(ScopedStateSetupError)
    expect((error as Error).message).toStartWith("scopedState: Elysia's `aot: false` is not supported.")
})

test('signing cookies for all routes is refused with a synchronous store, and the message says what to do', async () => {
    for (const sign of ['flash', ['flash']]) {
        const error = await refusal({ cookie: { secrets: FLASH_SECRET, sign } })
        expect(error).toBeInstanceOf(ScopedStateSetupError)
        expect((error as Error).message).toEndWith(
            "Sign them on the routes that set them: `cookie: t.Cookie(schema, { secrets, sign: ['flash'] })`."
        )
    }
})

test('signing the session cookie is refused with any store: Elysia would check the signature the plugin made', async () => {
    for (const sign of [true, 'user_session_id', ['flash', 'user_session_id']] as (true | string | string[])[])
        for (const serializeRequests of [false, true]) {
            const error = await refusal({ cookie: { secrets: FLASH_SECRET, sign } }, { serializeRequests })
            expect(error).toBeInstanceOf(ScopedStateSetupError)
            expect((error as Error).message).toContain("the app signs the session cookie 'user_session_id'")
        }
    // The plugin's cookie name, whichever it is.
    const error = await refusal(
        { cookie: { secrets: FLASH_SECRET, sign: ['sid'] } },
        { cookieName: 'sid', serializeRequests: true }
    )
    expect((error as Error).message).toContain("the app signs the session cookie 'sid'")
})

test('signing no cookie, or with hooks that await (a store that locks), the app listens and serves', async () => {
    const cases: [ElysiaConfig<''>, boolean][] = [
        [{ cookie: { secrets: FLASH_SECRET, sign: [] } }, false],
        // Elysia signs nothing for '' either.
        [{ cookie: { secrets: FLASH_SECRET, sign: '' } }, false],
        [{ cookie: { secrets: FLASH_SECRET, sign: ['flash'] } }, true]
    ]
    for (const [config, serializeRequests] of cases) {
        const app = appWith(config, { serializeRequests }).listen({ port: 0, hostname: '127.0.0.1' })
        try {
            const response = await fetch(`${app.server?.url}increment`, { method: 'POST' })
            expect(await response.text()).toBe('1')
        } finally {
            await app.stop(true)
        }
    }
})

test('what the message advises works: a cookie signed on its route, next to the session cookie', async () => {
    const app = new Elysia().use(scopedState({ count: { value: 0 } }, { secret: SECRET, store: memoryStore() })).post(
        '/flash',
        ({ scopedStore, cookie: { flash } }) => {
            flash.value = 'saved'
            return ++scopedStore.count
        },
        { cookie: t.Cookie({ flash: t.Optional(t.String()) }, { secrets: FLASH_SECRET, sign: ['flash'] }) }
    )
    const response = await app.handle(new Request('http://localhost/flash', { method: 'POST' }))
    expect(await response.text()).toBe('1')
    const cookies = response.headers.getSetCookie()
    expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['flash', 'user_session_id'])
    // Signed: the value carries Elysia's signature after a dot.
    expect(cookies.find((cookie) => cookie.startsWith('flash='))).toMatch(/^flash=saved\.[^;]{20,};/)
})

/** An app whose plugin is used inside `where`'s callback, as a route module may do it. */
const appUsingItIn = (where: 'group' | 'guard' | 'sub-app', config: ElysiaConfig<''>, store = memoryStore()) => {
    const state = scopedState({ count: { value: 0, preserve: true } }, { secret: SECRET, store })
    const app = new Elysia(config)
    if (where === 'group')
        return app.group('/api', (api) => api.use(state).post('/increment', ({ scopedStore }) => ++scopedStore.count))
    if (where === 'guard')
        return app.guard({}, (guarded) =>
            guarded.use(state).post('/increment', ({ scopedStore }) => ++scopedStore.count)
        )
    return app.use(new Elysia().use(state).post('/increment', ({ scopedStore }) => ++scopedStore.count))
}

test.each(['group', 'guard'] as const)(
    'used inside a %s, the plugin gets no start or stop hook from Elysia 1.4.30: nothing is refused, its store stays open',
    async (where) => {
        const store = memoryStore()
        const app = appUsingItIn(where, { aot: false }, store)
        app.listen({ port: 0, hostname: '127.0.0.1' })
        try {
            const path = where === 'group' ? '/api/increment' : '/increment'
            expect((await app.handle(new Request(`http://localhost${path}`, { method: 'POST' }))).status).toBe(200)
        } finally {
            await app.stop(true)
        }
        expect((await store.stats()).sessions).toBe(1)
        store.close()
    }
)

test('used inside a sub-app, the plugin refuses what it cannot work with, and its store is closed with the app', async () => {
    const refused = appUsingItIn('sub-app', { aot: false })
    try {
        expect(() => refused.listen({ port: 0, hostname: '127.0.0.1' })).toThrow(ScopedStateSetupError)
    } finally {
        await refused.stop(true)
    }
    const store = memoryStore()
    const app = appUsingItIn('sub-app', {}, store)
    app.listen({ port: 0, hostname: '127.0.0.1' })
    await app.handle(new Request('http://localhost/increment', { method: 'POST' }))
    expect((await store.stats()).sessions).toBe(1)
    await app.stop(true)
    expect((await store.stats()).sessions).toBe(0)
})
