import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { memoryStore, redisStore, type Store, scopedState } from '../../plugins/scoped-state'
import { holdDefaultStore } from '../../plugins/scoped-state/default-store'
import { client, sessionIdOf } from '../helpers/client'
import { redisTest, useRedis } from '../helpers/redis'

const secret = 'x'.repeat(32)
const DAY = 86_400_000

test('two differently configured instances coexist, each on its own routes', async () => {
    const counter = new Elysia()
        .use(scopedState({ count: { value: 0 } }, { secret, cookieName: 'counter_sid' }))
        .post('/counter', ({ scopedStore }) => ++scopedStore.count)
    const profile = new Elysia()
        .use(scopedState({ name: { value: 'anonymous', preserve: true } }, { secret, cookieName: 'profile_sid' }))
        .post('/profile/:name', ({ scopedStore, params }) => {
            scopedStore.name = params.name
            return scopedStore.name
        })
        .get('/profile', ({ scopedStore }) => scopedStore.name)
    const app = new Elysia().use(counter).use(profile)

    const user = client(app)
    expect(await (await user.post('/counter')).text()).toBe('1')
    const counterCookie = user.cookie
    await user.post('/profile/ada')
    const profileCookie = user.cookie
    expect(counterCookie).toStartWith('counter_sid=')
    expect(profileCookie).toStartWith('profile_sid=')

    const both = `${counterCookie}; ${profileCookie}`
    expect(await client(app, both).text('/profile')).toBe('ada')
    expect(await (await client(app, both).post('/counter')).text()).toBe('2')
})

test.each([
    ['store', { store: memoryStore() }, { store: memoryStore() }],
    ['migrate', { version: 2, migrate: () => ({ count: 1 }) }, { version: 2, migrate: () => ({ count: 2 }) }]
])('an instance that differs from another only by its %s is not dropped as a copy of it', async (_, one, other) => {
    const setup = { count: { value: 0 } }
    const app = new Elysia()
        .onError(({ error }) => (error as Error).message)
        .use(scopedState(setup, { secret, ...one }))
        .post('/one', ({ scopedStore }) => ++scopedStore.count)
        .use(scopedState(setup, { secret, ...other }))
        .post('/both', ({ scopedStore }) => ++scopedStore.count)
    expect((await client(app).post('/one')).status).toBe(200)
    // Dropped, it would leave the route to the first instance, its store and its migrate, without a word.
    const both = await client(app).post('/both')
    expect(both.status).toBe(500)
    expect(await both.text()).toContain('two instances run on one route')
})

test('two instances with cookies of their own on one route are refused, saying that each needs routes of its own', async () => {
    // A developer's try at one sign-in for every subdomain beside a cookie for each one's own state.
    const signIn = scopedState(
        { user: { value: '' } },
        { secret, cookieName: 'sign-in', cookie: { domain: 'example.test' } }
    )
    const tenant = scopedState({ notes: { value: [] as string[] } }, { secret, cookieName: 'tenant' })
    const app = new Elysia()
        .onError(({ error }) => (error as Error).message)
        .use(signIn)
        .use(tenant)
        .get('/', ({ scopedStore }) => scopedStore.notes.length)
    const answer = await client(app).get('/')
    expect(answer.status).toBe(500)
    expect(await answer.text()).toEndWith(
        'one route reads one session, so an instance with a cookie of its own needs routes of its own.'
    )
})

test('a factory that writes migrate inline, called by the app and by a module, makes one instance', async () => {
    const setup = { count: { value: 0 } }
    const state = () =>
        scopedState(setup, { secret, version: 2, migrate: (saved) => ({ count: Number(saved.n) || 0 }) })
    const module = new Elysia().use(state()).post('/module', ({ scopedStore }) => ++scopedStore.count)
    const app = new Elysia()
        .use(state())
        .use(module)
        .post('/app', ({ scopedStore }) => ++scopedStore.count)
    const user = client(app)
    expect(await (await user.post('/module')).text()).toBe('1')
    expect(await (await user.post('/app')).text()).toBe('2')
})

test('the same configuration used by two route modules shares one state and runs once per request', async () => {
    const state = scopedState({ count: { value: 0 } }, { secret })
    const a = new Elysia({ name: 'a' }).use(state).post('/a', ({ scopedStore }) => ++scopedStore.count)
    const b = new Elysia({ name: 'b' }).use(state).post('/b', ({ scopedStore }) => ++scopedStore.count)
    const user = client(new Elysia().use(a).use(b))
    expect(await (await user.post('/a')).text()).toBe('1')
    expect(await (await user.post('/b')).text()).toBe('2')
    expect(await (await user.post('/a')).text()).toBe('3')
})

test("route modules that each create the plugin with the same cookie share every user's state", async () => {
    const setup = { count: { value: 0 } }
    const counter = new Elysia({ name: 'counter' })
        .use(scopedState(setup, { secret }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
    const reset = new Elysia({ name: 'reset' })
        .use(scopedState(setup, { secret }))
        .get('/count', ({ scopedStore }) => scopedStore.count)
        .post('/reset', ({ resetScopedStore }) => {
            resetScopedStore()
            return 'reset'
        })
    const app = new Elysia().use(counter).use(reset)
    const user = client(app)
    await user.post('/increment')
    await user.post('/increment')
    expect(await user.text('/count')).toBe('2')
    await user.post('/reset')
    expect(await (await user.post('/increment')).text()).toBe('1')
    expect(await client(app).text('/count')).toBe('0')
})

test('route modules with setups of their own on one cookie keep one record: a key both name is one value', async () => {
    const cookieName = 'two_setups_sid'
    const counter = new Elysia({ name: 'counter' })
        .use(scopedState({ count: { value: 0, preserve: true } }, { secret, cookieName }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
    const tags = new Elysia({ name: 'tags' })
        .use(
            scopedState(
                { count: { value: [] as string[], preserve: true }, theme: { value: 'light', preserve: true } },
                { secret, cookieName }
            )
        )
        .post('/dark', ({ scopedStore }) => {
            scopedStore.theme = 'dark'
            return scopedStore.theme
        })
        .get('/theme', ({ scopedStore }) => scopedStore.theme)
        .post('/tag', ({ scopedStore }) => scopedStore.count.push('new'))
    const app = new Elysia().use(counter).use(tags)
    const user = client(app)
    await user.post('/increment')
    await user.post('/dark')
    expect(await (await user.post('/increment')).text()).toBe('2')
    expect(await user.text('/theme')).toBe('dark')
    expect((await user.post('/tag')).status).toBe(500)
})

test.each([
    ['logout', 'destroyScopedSession'],
    ['login', 'regenerateScopedSession']
] as const)('a %s through one route module ends the old session in the others too', async (_, end) => {
    const setup = { count: { value: 0 } }
    const account = new Elysia({ name: 'account' }).use(scopedState(setup, { secret })).post('/end', (context) => {
        context[end]()
        return 'ended'
    })
    const counter = new Elysia({ name: 'counter' })
        .use(scopedState(setup, { secret }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
    const app = new Elysia().use(account).use(counter)
    const user = client(app)
    await user.post('/increment')
    const before = user.cookie
    await user.post('/end')
    // Sent with the old cookie (another tab's request, before the browser had the new one): it
    // may not bring the ended session back, nor send its cookie again.
    const late = await client(app, before).post('/increment')
    expect(late.status).toBe(409)
    expect(late.headers.get('set-cookie')).toBeNull()
})

/** A listening counter on the default store of `cookieName`: one of its own, as other tests' instances never stop. */
const counterOn = (cookieName: string) =>
    new Elysia()
        .use(scopedState({ count: { value: 0 } }, { secret, cookieName }))
        .get('/count', ({ scopedStore }) => scopedStore.count)
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .listen({ port: 0, hostname: '127.0.0.1' })

test('their shared store outlives an app that stops; once the last one stops, it is closed', async () => {
    const counter = () => counterOn('stopping_sid')
    const first = counter()
    const second = counter()
    const user = client(first)
    await user.post('/increment')
    await first.stop()
    expect(await client(second, user.cookie).text('/count')).toBe('1')
    await second.stop()
    const third = counter()
    expect(await client(third, user.cookie).text('/count')).toBe('0')
    await third.stop()
})

test('an instance refused at creation holds no default store: the last app to stop still closes it', async () => {
    for (const refused of [{ maxPages: 0 }, { cookie: { path: 'a;b' } }]) {
        const cookieName = `refused_${crypto.randomUUID().slice(0, 8)}`
        const app = counterOn(cookieName)
        expect(() => scopedState({ count: { value: 0 } }, { secret, cookieName, ...refused })).toThrow()
        const user = client(app)
        await user.post('/increment')
        await app.stop()
        const next = counterOn(cookieName)
        expect(await client(next, user.cookie).text('/count')).toBe('0')
        await next.stop()
    }
})

describe('the default memory store', () => {
    test('a holder that lets go twice counts once: the store stays open for the others', () => {
        const first = holdDefaultStore('double_release_sid')
        const second = holdDefaultStore('double_release_sid')
        expect(second.store).toBe(first.store)
        second.store.save('kept', '{}', DAY)
        first.release()
        first.release()
        expect(second.store.load('kept', DAY)).toBe('{}')
        second.release()
    })

    test('once the last holder lets go, the next one gets a new store, not the closed one', () => {
        const first = holdDefaultStore('reopen_sid')
        first.release()
        const next = holdDefaultStore('reopen_sid')
        expect(next.store).not.toBe(first.store)
        next.release()
    })
})

test('a module that needs no session gets the hooks when .use()d after the plugin in the same app, none before', async () => {
    const health = (name: string) => new Elysia({ name, prefix: `/${name}` }).get('/healthz', () => 'ok')
    const app = new Elysia()
        .use(health('before'))
        .use(scopedState({ count: { value: 0 } }, { secret, store: memoryStore() }))
        .use(health('after'))
    const before = await app.handle(new Request('http://localhost/before/healthz'))
    const after = await app.handle(new Request('http://localhost/after/healthz'))
    expect(before.headers.getSetCookie()).toEqual([])
    expect(after.headers.getSetCookie()[0]).toStartWith('user_session_id=')
})

describe('a sub-app .mount()ed with the same instance', () => {
    /**
     * Mounted after the plugin, the outer app's hooks run on the mounted route, and the sub-app runs its
     * own on the request mount hands it; mounted before, the sub-app's alone run.
     */
    const mounted = (store: Store, where: 'after' | 'before' = 'after') => {
        const state = scopedState({ count: { value: 0 }, visits: { value: 0, preserve: true } }, { secret, store })
        const counter = new Elysia().use(state).post('/increment', ({ scopedStore }) => ++scopedStore.count)
        const app = where === 'before' ? new Elysia().mount('/counter', counter) : new Elysia()
        const outer = app.use(state).onBeforeHandle(({ scopedStore, request }) => {
            if (request.headers.has('x-visit')) scopedStore.visits++
        })
        return where === 'after' ? outer.mount('/counter', counter) : outer
    }

    test("gives a new visitor two sessions; the browser keeps the outer app's, losing the sub-app's first change", async () => {
        const user = client(mounted(memoryStore()))
        const first = await user.post('/counter/increment')
        const ids = first.headers.getSetCookie().map((line) => sessionIdOf(line.split(';')[0]))
        expect(new Set(ids).size).toBe(2)
        expect(sessionIdOf(user.cookie)).toBe(ids[1] as string)
        expect(await first.text()).toBe('1')
        expect(await (await user.post('/counter/increment')).text()).toBe('1')
    })

    test('mounted before the plugin, the sub-app alone holds the session: one cookie, and every change kept', async () => {
        const user = client(mounted(memoryStore(), 'before'))
        const first = await user.post('/counter/increment', { 'x-visit': '1' })
        expect(first.headers.getSetCookie()).toHaveLength(1)
        expect(await (await user.post('/counter/increment', { 'x-visit': '1' })).text()).toBe('2')
    })

    const redis = useRedis()
    redisTest(
        "with a store that locks, the sub-app waits for the outer app's hold to lapse: the outer app's change is then refused (503)",
        async () => {
            const lease = { lockLease: 400, lockTimeout: 100, commandTimeout: 250 }
            const store = redisStore({ url: redis().url, prefix: `mount-${crypto.randomUUID()}:`, ...lease })
            try {
                const user = client(mounted(store))
                await user.post('/counter/increment')
                const refused = await user.post('/counter/increment', { 'x-visit': '1' })
                expect(refused.status).toBe(503)
                // Its answer lost, the sub-app's change was saved all the same: the count goes on from it.
                expect(await (await user.post('/counter/increment')).text()).toBe('2')
            } finally {
                await store.close()
            }
        }
    )
})
