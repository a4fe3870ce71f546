/**
 * A store written for an app breaks the contract of store.ts in ways a type does not always
 * catch: the plugin fails the request with a `ScopedStateSetupError` that says what is wrong,
 * instead of reading every session as new and overwriting what was stored.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { endedAgo, memoryStore, type Store } from '../../plugins/scoped-state'
import { asynchronous } from '../helpers/asynchronous-store'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

/** Rejections no one handled: Bun would end the process for each, but for this listener. */
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(() => void process.on('unhandledRejection', onUnhandled))
afterAll(() => void process.off('unhandledRejection', onUnhandled))

const NOT_SYNCHRONOUS =
    /scopedState: the store says synchronous: true, but its (load|save|delete)\(\) returned a promise/

test('a store that says synchronous: true but answers promises fails each request that uses it, saying so', async () => {
    const inner = memoryStore()
    const user = client(stateApp({ store: inner }))
    await user.post('/theme/dark')
    const app = stateApp({ store: { ...asynchronous(inner), synchronous: true } })
    // A returning session: its load answered a promise.
    const returning = await client(app, user.cookie).post('/theme/light')
    expect(returning.status).toBe(500)
    expect(await returning.text()).toMatch(NOT_SYNCHRONOUS)
    // A new visitor's first write: its save answered one.
    const newcomer = await client(app).post('/increment')
    expect(newcomer.status).toBe(500)
    expect(await newcomer.text()).toContain('synchronous: true, but its save() returned a promise')
    // Read as a record, the promise would have started the session over, and its save overwritten the theme.
    expect(await user.text('/state')).toContain('"theme":"dark"')
})

test('a store that says synchronous: true but whose delete answers a promise fails the logout, saying so', async () => {
    const inner = memoryStore()
    const user = client(stateApp({ store: { ...inner, synchronous: true, delete: async (id) => inner.delete(id) } }))
    await user.post('/increment')
    const response = await user.post('/logout')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain('synchronous: true, but its delete() returned a promise')
})

test("a lying store's failed read or write is no unhandled rejection, which would end the process", async () => {
    const inner = memoryStore()
    const user = client(stateApp({ store: inner }))
    await user.post('/increment')
    const failing = () => Promise.reject(new Error('backend down')) as never
    for (const store of [
        { ...inner, synchronous: true, load: failing },
        { ...inner, synchronous: true, save: failing }
    ]) {
        const response = await client(stateApp({ store }), user.cookie).post('/increment')
        expect(response.status).toBe(500)
        expect(await response.text()).toMatch(NOT_SYNCHRONOUS)
    }
    await Bun.sleep(10)
    expect(unhandled).toEqual([])
})

for (const [what, answer, named] of [
    ["null (a driver's missing row)", null, 'null'],
    ["a parsed object (a JSON column's)", { s: {}, p: {} }, 'an object'],
    ["false (a client's miss)", false, 'a boolean'],
    ['a number', 0, 'a number'],
    ['the SESSION_ENDED of another copy of the plugin', Symbol('scoped-state: session ended'), 'a symbol'],
    ['the endedAgo of another copy of the plugin', { [Symbol('scoped-state: session ended')]: 5 }, 'an object'],
    ['an endedAgo that is not a time', endedAgo(Number.NaN), 'an object']
] as const)
    for (const synchronous of [true, false])
        test(`${synchronous ? 'a synchronous' : 'an asynchronous'} store whose load answers ${what} fails the request, naming it`, async () => {
            const inner = memoryStore()
            const store: Store = synchronous
                ? { ...inner, load: () => answer as never }
                : { ...asynchronous(inner), load: async () => answer as never }
            const user = client(stateApp({ store }))
            await user.get('/count')
            const response = await user.get('/count')
            expect(response.status).toBe(500)
            expect(await response.text()).toBe(
                `scopedState: the store's load() answered ${named}: it must answer the string its save() was given, as it was, or undefined when it holds none.`
            )
        })
