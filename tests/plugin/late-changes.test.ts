/**
 * A change to the state after the plugin committed its request (from a generator or
 * WebSocket handler, a timer) cannot be saved any more: it is ignored and reported once, never
 * thrown (in a timer, a throw would escape to the process), and the state stays as saved.
 */
import { beforeEach, describe, expect, spyOn, test } from 'bun:test'
import { Elysia } from 'elysia'
import { redisStore, type Store, scopedState } from '../../plugins/scoped-state'
import { client, NAVIGATE, overHttp } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'
import { SECRET, stateApp } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

const redis = useRedis()
const error = spyOn(console, 'error')
// Cleared before each test: calls from other files' tests, run in this process, would count too.
beforeEach(() => error.mockClear())

const REPORT = 'scopedState: scopedStore was changed after its request was answered'

describe('a change after the plugin committed', () => {
    test('in an onAfterHandle hook added after the plugin: ignored and reported', async () => {
        const app = stateApp()
            .onAfterHandle(({ scopedStore }) => {
                scopedStore.theme = 'dark'
            })
            .get('/theme', ({ scopedStore }) => scopedStore.theme)
        const user = client(app)
        expect(await user.text('/theme')).toBe('light')
        expect(String(error.mock.calls[0]?.[0])).toStartWith(REPORT)
        expect(await user.text('/theme')).toBe('light')
    })

    test('a read in an onAfterHandle hook added after the plugin, of a key the request never touched, after a save', async () => {
        const app = stateApp().onAfterHandle(({ scopedStore, set }) => {
            set.headers['x-tags'] = String(scopedStore.tags.length)
        })
        const user = client(app)
        const response = await user.post('/increment')
        expect([response.status, response.headers.get('x-tags')]).toEqual([200, '0'])
        expect(await user.text('/count')).toBe('1')
        expect(error).not.toHaveBeenCalled()
    })

    test('a first read after the commit reads the state as the request loaded it: the store is not asked again', async () => {
        const store = flakyStore()
        // A layout's hook reading the theme after a page load whose handler awaited and read nothing.
        const app = stateApp({ store })
            .get('/page', async () => {
                await Bun.sleep(1)
                return 'page'
            })
            .onAfterHandle(({ scopedStore, set }) => {
                set.headers['x-theme'] = scopedStore.theme
            })
        const user = client(app)
        await user.post('/theme/dark')
        const page = user.get('/page', NAVIGATE)
        // Another user's save meanwhile, then the store fails to load: the hook's read needs no load.
        await client(app).post('/increment')
        store.failingLoads = true
        const response = await page
        store.failingLoads = false
        expect([response.status, response.headers.get('x-theme')]).toEqual([200, 'dark'])
    })

    test('in an error hook added after the plugin, with locking: not saved, and not reported as late', async () => {
        const app = stateApp({ serializeRequests: true })
            .onError(({ scopedStore }) => {
                if (!scopedStore) return 'the error hook has no scopedStore'
                scopedStore.theme = 'dark'
                return 'sorry'
            })
            .post('/fail', () => {
                throw new Error('the handler failed')
            })
        const user = client(app)
        await user.post('/increment')
        expect(await (await user.post('/fail')).text()).toBe('sorry')
        expect(error).not.toHaveBeenCalled()
        expect(await user.text('/state')).toContain('"theme":"light"')
    })

    test('in a generator handler, which streams after the plugin committed: ignored and reported', async () => {
        const app = stateApp().get('/stream', function* ({ scopedStore }) {
            scopedStore.theme = 'dark'
            yield 'streamed'
        })
        const user = client(app)
        expect(await user.text('/stream')).toBe('streamed')
        expect(String(error.mock.calls[0]?.[0])).toStartWith(REPORT)
        expect(await user.text('/state')).toContain('"theme":"light"')
    })

    test('in place, in a generator handler: only its own copy changes, and nothing is reported', async () => {
        const app = stateApp().post('/stream', async function* ({ scopedStore }) {
            yield 'streamed;'
            scopedStore.cart.items.push('late')
            yield scopedStore.cart.items.join(',')
        })
        const user = client(app)
        await user.post('/cart/mug')
        expect(await (await user.post('/stream')).text()).toBe('streamed;mug,late')
        expect(await user.text('/cart')).toBe('mug')
        expect(error).not.toHaveBeenCalled()
    })

    test('an object the handler stored and still holds: changing it later reaches no other request', async () => {
        const mine = ['a']
        const app = stateApp().post('/assign', ({ scopedStore }) => {
            scopedStore.tags = mine
            return 'assigned'
        })
        const user = client(app)
        await user.post('/assign')
        mine.push('changed later')
        expect(await user.text('/tags')).toBe('a')
    })

    test('from a timer: assignments, resets and session changes are ignored, and reported once', async () => {
        let late: (() => void) | undefined
        const app = stateApp().post('/late', ({ scopedStore, resetScopedStore, destroyScopedSession }) => {
            scopedStore.count = 1
            late = () => {
                scopedStore.count = 99
                scopedStore.theme = 'dark'
                resetScopedStore(true)
                destroyScopedSession()
            }
            return 'ok'
        })
        const user = client(app)
        await user.post('/late')
        late?.()
        expect(error).toHaveBeenCalledTimes(1)
        expect(String(error.mock.calls[0]?.[0])).toStartWith(REPORT)
        expect(await user.text('/count')).toBe('1')
        expect(await user.text('/state')).toContain('"theme":"light"')
        await user.post('/increment')
        expect(await user.text('/count')).toBe('2')
    })
})

/** An app with a WebSocket route that reads the state and tries to change it, listening. */
const socketApp = (store?: Store) =>
    new Elysia()
        .use(scopedState({ count: { value: 0 } }, { secret: SECRET, store }))
        .get('/count', ({ scopedStore }) => scopedStore.count)
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .ws('/socket', {
            open(ws) {
                ws.send(`count ${ws.data.scopedStore.count}`)
            },
            message(ws) {
                ws.data.scopedStore.count = 99
                ws.send('tried')
            }
        })
        .listen({ port: 0, hostname: '127.0.0.1' })

/** Bun's `WebSocket` sends request headers; the DOM lib's type of it, also loaded here, does not know that. */
const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket

/** Opens the socket as the user with `cookie`, sends one message; resolves with what came back. */
const talk = (port: number | undefined, cookie: string) =>
    new Promise<string[]>((resolve, reject) => {
        const socket = new BunWebSocket(`ws://127.0.0.1:${port}/socket`, { headers: { cookie } })
        const received: string[] = []
        socket.onerror = reject
        socket.onmessage = ({ data }) => {
            received.push(String(data))
            if (received.length === 1) socket.send('change')
            else {
                socket.close()
                resolve(received)
            }
        }
    })

describe('not a change after the commit', () => {
    /** Changes `count` after an await: an async function that the handler returns, not awaits. */
    const bumpLater = async (store: { count: number }) => {
        await Bun.sleep(1)
        return ++store.count
    }

    // Elysia reads a handler's source, and compiles one that returns a call (`=> f(…)`) as
    // async, so the plugin's commit sees the awaited value. Were it compiled as sync, the commit
    // would run before the change and refuse it: this pins that behaviour of Elysia down.
    test('a handler that returns a call to an async function: its change after the await is saved', async () => {
        const app = stateApp().post('/later', ({ scopedStore }) => bumpLater(scopedStore))
        const user = client(app)
        expect(await (await user.post('/later')).text()).toBe('1')
        expect(await user.text('/count')).toBe('1')
        expect(error).not.toHaveBeenCalled()
    })
})

describe('a WebSocket handler', () => {
    const cases: [string, () => Store | undefined, typeof test][] = [
        ['memory store', () => undefined, test],
        ['Redis store', () => redisStore({ url: redis().url, prefix: `late-${crypto.randomUUID()}:` }), redisTest]
    ]
    for (const [name, store, run] of cases)
        run(`reads the state as of the upgrade; a change is ignored and reported (${name})`, async () => {
            const app = socketApp(store())
            try {
                const user = client(overHttp(app.server?.port))
                await user.post('/increment')
                expect(await talk(app.server?.port, user.cookie)).toEqual(['count 1', 'tried'])
                expect(String(error.mock.calls[0]?.[0])).toStartWith(REPORT)
                // Answered at the upgrade, the request holds no lock: the next one is not kept waiting.
                expect(await (await user.post('/increment')).text()).toBe('2')
            } finally {
                await app.stop()
            }
        })
})
