/**
 * `scopedStore` behaves like a plain object whose keys are the setup's: it can be listed,
 * spread and serialized, and its shape cannot be changed (only its values).
 */
import { expect, test } from 'bun:test'
import { inspect } from 'node:util'
import { Elysia } from 'elysia'
import { memoryStore, scopedState } from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE, sessionIdOf } from '../helpers/client'
import { SECRET, stateApp } from '../helpers/plugin-app'

/** What `inspect` returns for a returning user's `scopedStore` (count 1, theme dark), sent as JSON. */
const probe = async (inspect: (store: Record<PropertyKey, unknown>) => unknown) => {
    const app = stateApp().get('/probe', ({ scopedStore }) => JSON.stringify(inspect(scopedStore as never)))
    const user = client(app)
    await user.post('/increment')
    await user.post('/theme/dark')
    const response = await user.get('/probe')
    expect(response.status).toBe(200)
    return JSON.parse(await response.text())
}

/** A memory store, and the same store counting its saves. */
const countingSaves = () => {
    const store = memoryStore()
    let saves = 0
    const counted = {
        ...store,
        save(id: string, record: string, ttlMs: number) {
            saves++
            return store.save(id, record, ttlMs)
        }
    }
    return { store, counted, saves: () => saves }
}

const SETUP_KEYS = ['count', 'tags', 'theme', 'cart']

test('its keys are the setup keys, listed in setup order', async () => {
    expect(await probe((store) => Object.keys(store))).toEqual(SETUP_KEYS)
    expect(await probe((store) => SETUP_KEYS.map((key) => key in store))).toEqual([true, true, true, true])
    expect(await probe((store) => 'nope' in store)).toBe(false)
    // Own properties as `Object.hasOwn` sees them: a form field's name checked before it is assigned.
    expect(await probe((store) => [...SETUP_KEYS, 'nope', 'toString'].map((key) => Object.hasOwn(store, key)))).toEqual(
        [true, true, true, true, false, false]
    )
    expect(
        await probe((store) => [Object.getOwnPropertyDescriptor(store, 'nope'), Object.hasOwn(store, Symbol.iterator)])
    ).toEqual([null, false])
})

test('it serializes and spreads to the current state', async () => {
    const expected = { count: 1, tags: [], theme: 'dark', cart: { items: [] } }
    expect(await probe((store) => JSON.parse(JSON.stringify(store)))).toEqual(expected)
    expect(await probe((store) => ({ ...store }))).toEqual(expected)
    expect(await probe((store) => Object.entries(store))).toEqual(Object.entries(expected))
})

test('unknown and symbol keys read as undefined', async () => {
    // JSON turns `undefined` in an array into `null`.
    const read = await probe((store) => [store.nope, store[Symbol.iterator]])
    expect(read).toEqual([null, null])
})

test("it has a plain object's methods and prototype, as its type says", async () => {
    const app = stateApp().get('/as-object', ({ scopedStore }) => ({
        text: `${scopedStore}`,
        string: scopedStore.toString(),
        value: scopedStore.valueOf() === scopedStore,
        plain: Object.getPrototypeOf(scopedStore) === Object.prototype && scopedStore.constructor === Object
    }))
    expect(await (await client(app).get('/as-object')).json()).toEqual({
        text: '[object Object]',
        string: '[object Object]',
        value: true,
        plain: true
    })
})

test('keys cannot be deleted or redefined, and the state is left as it was', async () => {
    const app = stateApp()
        .post('/delete', ({ scopedStore }) => {
            delete (scopedStore as Partial<typeof scopedStore>).count
            return 'deleted?'
        })
        .post('/define', ({ scopedStore }) => {
            Object.defineProperty(scopedStore, 'count', { value: 42 })
            return 'defined?'
        })
    const user = client(app)
    await user.post('/increment')
    // The proxy refuses: the handler throws (a TypeError in strict mode) before it can answer.
    for (const path of ['/delete', '/define']) expect((await user.post(path)).status).toBe(500)
    expect(await user.text('/count')).toBe('1')
})

test('it cannot be frozen, and stays writable after an attempt', async () => {
    const app = stateApp().post('/freeze-then-count', ({ scopedStore }) => {
        expect(() => Object.freeze(scopedStore)).toThrow(TypeError)
        return ++scopedStore.count
    })
    expect(await (await client(app).post('/freeze-then-count')).text()).toBe('1')
})

test('its prototype cannot be changed, and it stays usable after an attempt', async () => {
    const app = stateApp().post('/set-prototype-then-count', ({ scopedStore }) => {
        expect(() => Object.setPrototypeOf(scopedStore, null)).toThrow(TypeError)
        expect(Reflect.setPrototypeOf(scopedStore, { injected: true })).toBe(false)
        expect(Object.getPrototypeOf(scopedStore)).toBe(Object.prototype)
        return ++scopedStore.count
    })
    const user = client(app)
    expect(await (await user.post('/set-prototype-then-count')).text()).toBe('1')
    expect(await (await user.post('/set-prototype-then-count')).text()).toBe('2')
})

test('assigning a symbol key throws (strict mode) instead of being dropped silently', async () => {
    const app = stateApp().post('/symbol', ({ scopedStore }) => {
        ;(scopedStore as unknown as Record<symbol, unknown>)[Symbol('k')] = 1
        return 'assigned?'
    })
    const user = client(app)
    expect((await user.post('/symbol')).status).toBe(500)
})

test('a stored null reads back as null, not as the default', async () => {
    const app = new Elysia()
        .use(scopedState({ name: { value: 'anonymous' as string | null, preserve: true } }, { secret: SECRET }))
        .post('/forget', ({ scopedStore }) => {
            scopedStore.name = null
            return 'forgotten'
        })
        .get('/name', ({ scopedStore }) => JSON.stringify(scopedStore.name))
    const user = client(app)
    await user.post('/forget')
    expect(await user.text('/name')).toBe('null')
})

test('-0 reads back as 0, as JSON holds it, in the process that saved it too', async () => {
    const app = stateApp()
        .post('/negative-zero', ({ scopedStore }) => {
            scopedStore.count = -0
            return 'saved'
        })
        .get('/is-negative-zero', ({ scopedStore }) => String(Object.is(scopedStore.count, -0)))
    const user = client(app)
    await user.post('/increment')
    await user.post('/negative-zero')
    expect(await user.text('/is-negative-zero')).toBe('false')
})

test('printed, it shows the state as read, not the session behind it, and stores nothing', async () => {
    const { store, counted, saves } = countingSaves()
    const printed = (scopedStore: object) => [Bun.inspect(scopedStore), inspect(scopedStore)]
    const app = stateApp({ store: counted })
        .get('/print', ({ scopedStore }) => printed(scopedStore))
        .post('/print-then-add', ({ scopedStore }) => {
            const shown = printed(scopedStore)
            // A default read after printing is not stored: the print made no copy to keep it in.
            const theme = scopedStore.theme
            scopedStore.cart.items.push('book')
            return [...shown, theme]
        })
    const user = client(app)
    await user.post('/increment')
    const id = sessionIdOf(user.cookie)
    const state = { count: 1, tags: [], theme: 'light', cart: { items: [] } }
    const [bun, node] = (await (await user.get('/print')).json()) as string[]
    expect([bun, node]).toEqual([Bun.inspect(state), inspect(state)])
    expect(`${bun}${node}`).not.toContain(id)
    expect(await (await user.post('/print-then-add')).json()).toEqual([...printed(state), 'light'])
    expect(saves()).toBe(2)
    expect(JSON.parse(store.load(id, 60_000) as string).s).toEqual({ cart: { items: ['book'] } })
})

test('printed on a page whose scope no longer holds, it shows the preserved keys', async () => {
    const app = stateApp().get('/print', ({ scopedStore }) => Bun.inspect(scopedStore))
    const user = client(app)
    const stale = (await (await user.get('/state', NAVIGATE)).json()).page as string
    await user.post('/login')
    await user.post('/theme/dark')
    expect(await (await user.get('/print', inPage(stale))).text()).toBe(
        Bun.inspect({ theme: 'dark', cart: { items: [] } })
    )
})

test('printed, state this setup cannot read says why instead of throwing, and is left as it is', async () => {
    const { store, counted } = countingSaves()
    const app = stateApp({ store: counted }).get('/print', ({ scopedStore }) => Bun.inspect(scopedStore))
    const user = client(app)
    await user.post('/increment')
    const id = sessionIdOf(user.cookie)
    const newer = JSON.stringify({ v: 2, s: {}, p: { _: { count: 5 } } })
    store.save(id, newer, 60_000)
    const printed = await user.get('/print')
    expect([printed.status, await printed.text()]).toEqual([
        200,
        "[unreadable state: This session's state was saved by a newer version of the app (state version 2, this " +
            'instance has 1); nothing was changed. Please try again in a moment.]'
    ])
    expect(store.load(id, 60_000)).toBe(newer)
})

test('assigning the value already stored writes nothing', async () => {
    const { counted, saves } = countingSaves()
    const app = stateApp({ store: counted }).post('/same-theme', ({ scopedStore }) => {
        scopedStore.theme = `${scopedStore.theme}`
        return 'assigned'
    })
    const user = client(app)
    await user.post('/theme/dark')
    await user.post('/same-theme')
    expect(saves()).toBe(1)
})
