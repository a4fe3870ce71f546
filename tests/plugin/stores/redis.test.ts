/** The Redis store against a real redis-server: the shared contract, the lock, and outages. */
import { afterAll, describe, expect, setSystemTime, spyOn, test } from 'bun:test'
import { RedisClient } from 'bun'
import { Elysia } from 'elysia'
import {
    type EndedSession,
    redisStore,
    ScopedStateSetupError,
    SESSION_ENDED,
    type Store,
    StoreUnavailableError,
    scopedState
} from '../../../plugins/scoped-state'
import { client, sessionIdOf, setCookieOf } from '../../helpers/client'
import { manualClock, SECRET, stateApp, stuckApp } from '../../helpers/plugin-app'
import { cuttingProxy, redisTest, unreachableRedisStore, useRedis } from '../../helpers/redis'
import { storeContract } from './contract'

const redis = useRedis()
const prefix = () => `test-${crypto.randomUUID()}:`
const DAY = 86_400_000

storeContract('redis', {
    create: () => redisStore({ url: redis().url, prefix: prefix() }),
    shared: () => {
        const shared = prefix()
        return [redisStore({ url: redis().url, prefix: shared }), redisStore({ url: redis().url, prefix: shared })]
    },
    shortLease: () => {
        const shared = prefix()
        const short = { url: redis().url, prefix: shared, ...SHORT_LEASE }
        return [redisStore(short), redisStore(short)]
    },
    test: redisTest,
    peek: true
})

const stores: Store[] = []
const open = (options: Partial<Parameters<typeof redisStore>[0]> = {}) => {
    const store = redisStore({ url: redis().url, prefix: prefix(), ...options })
    stores.push(store)
    return store
}
const raw = () => new RedisClient(redis().url)

/** Fills Redis (`noeviction`, `maxmemory` 1): it refuses writes with an error reply until `makeRoom()`. */
const fillRedis = async () => {
    const admin = raw()
    await admin.send('CONFIG', ['SET', 'maxmemory-policy', 'noeviction'])
    await admin.send('CONFIG', ['SET', 'maxmemory', '1'])
    return async function makeRoom() {
        await admin.send('CONFIG', ['SET', 'maxmemory', '0'])
        admin.close()
    }
}
/** A lock that lapses soon, as short as the store allows: it must outlast a wait for it. */
const SHORT_LEASE = { lockLease: 400, lockTimeout: 100, commandTimeout: 250 }
afterAll(() => {
    for (const store of stores) store.close()
})

/** Resolves with how the promise settled, or 'pending' if it did not within `ms`. */
const settledWithin = (promise: Promise<unknown>, ms: number) =>
    Promise.race([
        promise.then(
            () => 'fulfilled',
            () => 'rejected'
        ),
        Bun.sleep(ms).then(() => 'pending')
    ])

describe('redis store', () => {
    redisTest(
        'scripts run by digest; after Redis forgets them (restart, SCRIPT FLUSH) they are sent again',
        async () => {
            const store = open()
            const inspect = raw()
            const calls = async (command: string) => {
                const stats = String(await inspect.send('INFO', ['commandstats']))
                return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0)
            }
            await store.save('abc', '{"v":0}', 60_000)
            const [evals, evalshas] = [await calls('eval'), await calls('evalsha')]
            await store.save('abc', '{"v":1}', 60_000)
            expect(await calls('evalsha')).toBe(evalshas + 1)
            expect(await calls('eval')).toBe(evals)
            await inspect.send('SCRIPT', ['FLUSH'])
            expect(await store.load('abc', 60_000)).toBe('{"v":1}')
            await store.save('abc', '{"v":2}', 60_000)
            expect(await store.load('abc', 60_000)).toBe('{"v":2}')
            await store.release('abc')
        }
    )

    redisTest('keys live under the prefix and expire with the session', async () => {
        const keys = prefix()
        const store = open({ prefix: keys })
        await store.save('abc', '{"v":1}', 60_000)
        const inspect = raw()
        expect(await inspect.get(`${keys}s:abc`)).toBe('{"v":1}')
        const ttl = Number(await inspect.send('PTTL', [`${keys}s:abc`]))
        expect(ttl).toBeGreaterThan(50_000)
        expect(ttl).toBeLessThanOrEqual(60_000)
        await store.load('abc', DAY)
        expect(Number(await inspect.send('PTTL', [`${keys}s:abc`]))).toBeGreaterThan(60_000)
        expect(await inspect.exists(`${keys}lock:abc`)).toBe(true)
        await store.release('abc')
        expect(await inspect.exists(`${keys}lock:abc`)).toBe(false)
        await store.load('abc', DAY)
        await store.delete('abc')
        // Only the mark that tells other processes the session ended, and when: for a minute when
        // the delete does not say how long the cookie lives (an app's own call), else that long.
        expect(await inspect.send('KEYS', [`${keys}*`])).toEqual([`${keys}ended:abc`])
        expect(Number(await inspect.send('PTTL', [`${keys}ended:abc`]))).toBeLessThanOrEqual(60_000)
        await store.delete('abc', DAY)
        expect(Number(await inspect.send('PTTL', [`${keys}ended:abc`]))).toBeGreaterThan(DAY - 60_000)
        const ended = (await store.load('abc', DAY)) as EndedSession
        expect(ended[SESSION_ENDED]).toBeGreaterThanOrEqual(0)
        expect(ended[SESSION_ENDED]).toBeLessThan(5_000)
        expect(await inspect.exists(`${keys}lock:abc`)).toBe(false)
        inspect.close()
    })

    redisTest(
        'the expiry index expires too, a while after its sessions: a volatile-* policy may evict it',
        async () => {
            const keys = prefix()
            const store = open({ prefix: keys })
            const inspect = raw()
            const indexLife = async () => Number(await inspect.send('PTTL', [`${keys}index`]))
            await store.save('week', '{}', 7 * DAY)
            expect(await indexLife()).toBeGreaterThan(7 * DAY + 3_600_000)
            expect(await indexLife()).toBeLessThanOrEqual(8 * DAY)
            // A shorter session does not shorten it.
            await store.save('minute', '{}', 60_000)
            expect(await indexLife()).toBeGreaterThan(7 * DAY + 3_600_000)
            // A session kept alive by reads keeps it too.
            await store.load('minute', 30 * DAY)
            await store.release('minute')
            expect(await indexLife()).toBeGreaterThan(30 * DAY + 3_600_000)
            inspect.close()
        }
    )

    redisTest('stats are shared by every process and count expired sessions', async () => {
        const keys = prefix()
        const [a, b] = [open({ prefix: keys }), open({ prefix: keys })]
        await a.save('short', '{}', 50)
        await b.save('long', '{}', DAY)
        await Bun.sleep(150)
        expect(await a.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 1 })
        expect(await b.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 1 })
    })

    redisTest('stats count on Redis’s clock: a process whose clock runs ahead drops no live session', async () => {
        const keys = prefix()
        const [right, ahead] = [open({ prefix: keys }), open({ prefix: keys })]
        for (const id of ['a', 'b']) await right.save(id, '{}', 60_000)
        try {
            setSystemTime(Date.now() + 3_600_000)
            await ahead.save('c', '{}', 60_000)
            expect(await ahead.load('a', 60_000)).toBe('{}')
            await ahead.release('a')
            expect(await ahead.stats()).toEqual({ sessions: 3, evictions: 0, expirations: 0 })
        } finally {
            setSystemTime()
        }
        expect(await right.stats()).toEqual({ sessions: 3, evictions: 0, expirations: 0 })
    })

    redisTest('a second process waits for the lock, then sees the first one’s write', async () => {
        const keys = prefix()
        const [first, second] = [open({ prefix: keys }), open({ prefix: keys })]
        await first.save('s', '{"n":0}', DAY)
        expect(await first.load('s', DAY)).toBe('{"n":0}')
        const waiting = Promise.resolve(second.load('s', DAY))
        expect(await settledWithin(waiting, 100)).toBe('pending')
        await first.save('s', '{"n":1}', DAY)
        expect(await waiting).toBe('{"n":1}')
        await second.release('s')
    })

    redisTest('a lock held past lockTimeout answers 503 to the waiting request', async () => {
        const keys = prefix()
        const [holder, waiter] = [open({ prefix: keys }), open({ prefix: keys, lockTimeout: 200 })]
        await holder.load('s', DAY)
        const error = await Promise.resolve(waiter.load('s', DAY)).catch((caught) => caught)
        expect(error).toBeInstanceOf(StoreUnavailableError)
        expect(String(error.message)).toContain('locked')
        // One session held, not the store failing: a readiness check ignores it.
        expect(error.busy).toBe(true)
        await waiter.release('s')
        await holder.release('s')
    })

    redisTest(
        'the wait for a lock is timed on a monotonic clock: a wall clock set back does not stretch it',
        async () => {
            const keys = prefix()
            const [holder, waiter] = [open({ prefix: keys }), open({ prefix: keys, lockTimeout: 200 })]
            await holder.load('s', DAY)
            try {
                const waiting = Promise.resolve(waiter.load('s', DAY)).catch((caught) => caught)
                setSystemTime(Date.now() - 3_600_000)
                // Timed on the wall clock, it would wait out the holder's lease (10 s) and take the lock.
                expect(await settledWithin(waiting, 2_000)).toBe('fulfilled')
                expect(await waiting).toBeInstanceOf(StoreUnavailableError)
            } finally {
                setSystemTime()
                await waiter.release('s')
                await holder.release('s')
            }
        }
    )

    test('refuses a lockLease no longer than a wait for the lock', () => {
        expect(() => redisStore({ url: 'redis://127.0.0.1:1', lockLease: 5_000 })).toThrow(
            'lockLease (5000 ms) must exceed lockTimeout + commandTimeout (6500 ms)'
        )
    })

    test("refuses a URL that Bun's client refuses, at once and naming no password", () => {
        for (const [url, reason] of [
            ['redis://:hunter2@127.0.0.1:6379/abc', 'Invalid database number in Redis URL: "abc"'],
            ['redis://:hunter2@127.0.0.1:6379/1/2', 'Invalid database number in Redis URL: "1/2"'],
            ['redis://:hunter2@127.0.0.1:0', 'Port 0 is not valid for TCP connections']
        ] as const)
            expect(() => redisStore({ url })).toThrow(
                new ScopedStateSetupError(`redisStore: the url is refused: ${reason}`)
            )
    })

    redisTest(
        'a save without a lock token (a session this request created) is refused where the id is locked',
        async () => {
            const keys = prefix()
            const [holder, creator] = [open({ prefix: keys }), open({ prefix: keys })]
            await holder.load('s', DAY)
            await expect(Promise.resolve(creator.save('s', '{"n":1}', DAY))).rejects.toThrow(
                'the session lock was lost'
            )
            await holder.save('s', '{"n":2}', DAY)
            expect(await creator.load('s', DAY)).toBe('{"n":2}')
            await creator.release('s')
        }
    )

    redisTest('a holder whose lease ran out cannot overwrite the newer state', async () => {
        const keys = prefix()
        const [slow, fast] = [open({ prefix: keys, ...SHORT_LEASE }), open({ prefix: keys })]
        await slow.save('s', '{"n":0}', DAY)
        await slow.load('s', DAY)
        await Bun.sleep(SHORT_LEASE.lockLease + 100)
        expect(await fast.load('s', DAY)).toBe('{"n":0}')
        await fast.save('s', '{"n":1}', DAY)
        const lost = await Promise.resolve(slow.save('s', '{"n":-1}', DAY)).catch((caught) => caught)
        expect([String(lost.message), lost.busy]).toEqual([expect.stringContaining('the session lock was lost'), true])
        expect(await fast.load('s', DAY)).toBe('{"n":1}')
        await fast.release('s')
    })

    redisTest('a release does not unlock a lock that another process took over', async () => {
        const keys = prefix()
        const [slow, fast] = [open({ prefix: keys, ...SHORT_LEASE }), open({ prefix: keys })]
        await slow.load('s', DAY)
        await Bun.sleep(SHORT_LEASE.lockLease + 100)
        await fast.load('s', DAY)
        await slow.release('s')
        const inspect = raw()
        expect(await inspect.exists(`${keys}lock:s`)).toBe(true)
        inspect.close()
        await fast.release('s')
    })

    redisTest('a save that drops expired sessions from the index counts them as expirations', async () => {
        const store = open()
        await store.save('short', '{}', 100)
        await Bun.sleep(250)
        await store.save('other', '{}', DAY)
        expect(await store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 1 })
    })

    redisTest('a session kept alive by loads stays counted by stats', async () => {
        const store = open()
        await store.save('read', '{}', 1_000)
        await Bun.sleep(600)
        expect(await store.load('read', 1_000)).toBe('{}')
        await store.release('read')
        await Bun.sleep(600)
        expect(await store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 0 })
    })

    redisTest('deleting a session removes its lock too', async () => {
        const keys = prefix()
        const store = open({ prefix: keys })
        await store.load('gone', DAY)
        await store.delete('gone')
        await store.release('gone')
        expect(await raw().send('EXISTS', [`${keys}lock:gone`])).toBe(0)
    })

    redisTest('each script is sent in full at most once, then run by its SHA-1', async () => {
        const redisControl = raw()
        await redisControl.send('CONFIG', ['RESETSTAT'])
        const store = open()
        for (let i = 0; i < 5; i++) {
            await store.load('s', DAY)
            await store.save('s', `{"n":${i}}`, DAY)
        }
        const info = (await redisControl.send('INFO', ['commandstats'])) as string
        redisControl.close()
        expect(Number(/cmdstat_eval:calls=(\d+)/.exec(info)?.[1] ?? 0)).toBeLessThanOrEqual(2)
        expect(Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0)).toBeGreaterThanOrEqual(8)
    })
})

/** The Redis key of the lock of the session whose cookie is `cookie`. */
const lockOf = (keys: string, cookie: string) => `${keys}lock:${sessionIdOf(cookie)}`

describe('the session lock, through the plugin', () => {
    redisTest('a read-only request is answered without waiting for its unlock', async () => {
        const keys = prefix()
        const control = raw()
        // The handler stops Redis from running writes (scripts included) until the test lets it.
        const app = stateApp({ store: open({ prefix: keys }) }).get('/pause-writes', async ({ scopedStore }) => {
            await control.send('CLIENT', ['PAUSE', '20000', 'WRITE'])
            return scopedStore.count
        })
        const user = client(app)
        await user.post('/increment')
        const lock = lockOf(keys, user.cookie)
        try {
            expect(await user.text('/pause-writes')).toBe('1')
            // Answered while its unlock still waits in Redis.
            expect(await control.exists(lock)).toBe(true)
            // The session's next request here queues its lock behind that unlock, and gets it.
            const next = user.text('/count')
            await control.send('CLIENT', ['UNPAUSE'])
            expect(await next).toBe('1')
        } finally {
            await control.send('CLIENT', ['UNPAUSE'])
            control.close()
        }
        expect(await raw().exists(lock)).toBe(false)
    })

    redisTest(
        'a login leaves no lock on the old id, even for a session with no state yet, whether it writes or not',
        async () => {
            const app = stateApp({ store: open({ lockTimeout: 300 }) }).post(
                '/login-dark',
                ({ regenerateScopedSession, scopedStore }) => {
                    regenerateScopedSession()
                    scopedStore.theme = 'dark'
                    return 'signed in'
                }
            )
            for (const login of ['/login', '/login-dark']) {
                const user = client(app)
                await user.get('/count')
                const old = user.cookie
                await user.post(login)
                // A request still using the old cookie (another tab) would wait lockTimeout, then answer 503.
                expect((await client(app, old).get('/count')).status).toBe(200)
            }
        }
    )

    redisTest('a request that fails lets the next request of its session in, still locked', async () => {
        const keys = prefix()
        const inspect = raw()
        const failing = Promise.withResolvers<void>()
        let lock = ''
        const app = stateApp({ store: open({ prefix: keys }) })
            .post('/fail', async () => {
                await failing.promise
                throw new Error('the handler failed')
            })
            .get('/locked', async ({ scopedStore }) => ({
                count: scopedStore.count,
                locked: await inspect.exists(lock)
            }))
        const user = client(app)
        await user.post('/increment')
        lock = lockOf(keys, user.cookie)
        const failed = user.post('/fail')
        // Waits here for the failing request to let go of the session.
        const next = user.get('/locked')
        failing.resolve()
        expect((await failed).status).toBe(500)
        expect(await (await next).json()).toEqual({ count: 1, locked: true })
        inspect.close()
    })
    redisTest(
        'a request stuck past lockLease loses its session to the next one in its process; its late save is refused',
        async () => {
            const { app, stuck } = stuckApp({ store: open(SHORT_LEASE) })
            const user = client(app)
            await user.post('/increment')
            const late = user.post('/stuck')
            expect(await (await user.post('/increment')).text()).toBe('2')
            stuck.resolve()
            expect((await late).status).toBe(503)
            expect(await user.text('/count')).toBe('2')
            expect(await (await user.post('/increment')).text()).toBe('3')
        }
    )
    redisTest(
        'a login whose save Redis answers after the lease keeps its turn: the next request waits, and finds the session ended',
        async () => {
            const keys = prefix()
            const inner = open({ prefix: keys, ...SHORT_LEASE })
            // Redis answering the login's save late: the command goes out at once, its answer after the lease.
            let slowSaves = false
            const store: Store = {
                ...inner,
                save: async (id, record, ttl) => {
                    const saved = inner.save(id, record, ttl)
                    if (slowSaves) await Bun.sleep(SHORT_LEASE.lockLease + 100)
                    return saved
                }
            }
            let nextRan = false
            const app = stateApp({ store })
                .post('/slow-login', ({ regenerateScopedSession, scopedStore }) => {
                    regenerateScopedSession()
                    scopedStore.theme = 'dark'
                    slowSaves = true
                    return 'signed in'
                })
                .post('/next', ({ scopedStore }) => {
                    nextRan = true
                    scopedStore.count = 7
                    return 'next'
                })
            const user = client(app)
            await user.post('/theme/blue')
            const old = user.cookie
            const lock = lockOf(keys, old)
            const login = user.post('/slow-login')
            const next = client(app, old).post('/next')
            const signedIn = await login
            slowSaves = false
            // Let in while the save was on its way, the next request would have run on the old
            // session, and the login's delete would then have taken its lock.
            expect(nextRan).toBe(false)
            expect(signedIn.status).toBe(200)
            expect(setCookieOf(signedIn)).toBe(user.cookie)
            expect((await next).status).toBe(409)
            const inspect = raw()
            expect(await inspect.exists(lock)).toBe(false)
            inspect.close()
            expect(await (await user.get('/state')).json()).toMatchObject({ theme: 'dark', count: 0 })
        }
    )

    redisTest(
        'after a freeze longer than the lease, a lock Redis runs late (sent before the connection was replaced) holds nothing up',
        async () => {
            const server = redis()
            const failures: string[] = []
            // A lease twice lockTimeout: a lock left behind would refuse the session's requests for 1 s.
            const app = stateApp({ store: open({ commandTimeout: 200, lockTimeout: 500, lockLease: 1_000 }) })
                .onError(({ error }) => {
                    failures.push((error as Error).message)
                })
                .post('/add', ({ scopedStore }) => ++scopedStore.count)
                .get('/read', ({ scopedStore }) => scopedStore.count)
            const users = [client(app), client(app), client(app)]
            for (const user of users) await user.post('/add')

            // Each user sends requests one after another, writes and reads, through the freeze and past it.
            let thawedAt = 0
            const firstAnswers = users.map(async (user) => {
                for (let n = 0; ; n++) {
                    const sent = Date.now()
                    const response = await (n % 2 ? user.get('/read') : user.post('/add'))
                    if (thawedAt && sent > thawedAt && response.status === 200) return
                    await Bun.sleep(20)
                }
            })
            await Bun.sleep(100)
            server.freeze()
            // Past the lease, with 800 ms to spare for the timeouts that replace the connection.
            await Bun.sleep(1_800)
            server.thaw()
            thawedAt = Date.now()
            failures.length = 0
            await Promise.all(firstAnswers)
            // A connection attempt begun while frozen may fail just after the thaw; a lock left behind must not.
            expect(failures.filter((message) => message.includes('locked'))).toEqual([])
        },
        20_000
    )
})

describe('a command Redis takes and does not answer', () => {
    redisTest('a save: fails as unanswered, and Redis may apply it afterwards', async () => {
        const control = raw()
        let failure: unknown
        // The handler stops Redis from running writes until the test lets it: its save then times out.
        const app = stateApp({ store: open({ commandTimeout: 300 }) })
            .onError(({ error }) => {
                failure = error
            })
            .post('/increment-paused', async ({ scopedStore }) => {
                await control.send('CLIENT', ['PAUSE', '20000', 'WRITE'])
                return ++scopedStore.count
            })
        const user = client(app)
        await user.post('/increment')
        try {
            expect((await user.post('/increment-paused')).status).toBe(503)
            expect(failure).toBeInstanceOf(StoreUnavailableError)
            expect((failure as StoreUnavailableError).unanswered).toBe(true)
        } finally {
            await control.send('CLIENT', ['UNPAUSE'])
            control.close()
        }
        expect(await user.text('/count')).toBe('2')
    })

    redisTest('taking the lock: not unanswered, since the handler never ran', async () => {
        const control = raw()
        let failure: unknown
        let ran = false
        const app = stateApp({ store: open({ commandTimeout: 300 }) })
            .onError(({ error }) => {
                failure = error
            })
            .post('/mark', ({ scopedStore }) => {
                ran = true
                return ++scopedStore.count
            })
        const user = client(app)
        await user.post('/increment')
        await control.send('CLIENT', ['PAUSE', '20000', 'WRITE'])
        try {
            expect((await user.post('/mark')).status).toBe(503)
            expect(ran).toBe(false)
            expect((failure as StoreUnavailableError).unanswered).toBe(false)
        } finally {
            await control.send('CLIENT', ['UNPAUSE'])
            control.close()
        }
        expect(await user.text('/count')).toBe('1')
    })

    /**
     * Saves `record` as session 'cut' under `keys` through a proxy that closes the connection
     * instead of answering the first command containing `cutOn`: the save must fail as
     * unanswered, and Redis must have applied it.
     */
    const expectCutSaveApplied = async (keys: string, cutOn: string, record: string) => {
        const cut = cuttingProxy(redis().port, cutOn)
        try {
            const store = open({ url: `redis://127.0.0.1:${cut.port}`, prefix: keys })
            const failure = await Promise.resolve(store.save('cut', record, DAY)).catch((error) => error)
            expect(failure).toBeInstanceOf(StoreUnavailableError)
            expect((failure as StoreUnavailableError).unanswered).toBe(true)
            expect(await raw().get(`${keys}s:cut`)).toBe(record)
        } finally {
            cut.stop(true)
        }
    }

    redisTest('a save whose connection closes before its answer: unanswered, and Redis applied it', async () => {
        const keys = prefix()
        // Redis knows the save's script already, so the cut command is the save itself.
        await open({ prefix: keys }).save('warm', '{"s":{},"p":{}}', DAY)
        await expectCutSaveApplied(keys, 'MARKER', '{"s":{"note":"MARKER"},"p":{}}')
    })

    redisTest('a save sent in full after NOSCRIPT, whose answer never comes, is unanswered', async () => {
        const keys = prefix()
        const redisControl = raw()
        await redisControl.send('SCRIPT', ['FLUSH'])
        redisControl.close()
        // Only the save's script text holds this: the cut command is its EVAL, not the EVALSHA before it.
        await expectCutSaveApplied(keys, "INCRBY', KEYS[4]", '{"s":{},"p":{}}')
    })

    test('a save that never reached Redis (the connection never opened) is not unanswered', async () => {
        // Accepts connections and never answers, so the client's handshake never completes.
        const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
        try {
            const store = open({ url: `redis://127.0.0.1:${silent.port}`, commandTimeout: 300 })
            const failure = await Promise.resolve(store.save('never', '{"s":{},"p":{}}', DAY)).catch((error) => error)
            expect(failure).toBeInstanceOf(StoreUnavailableError)
            expect((failure as StoreUnavailableError).unanswered).toBe(false)
        } finally {
            silent.stop(true)
        }
    })
})

describe('one redis store, several plugin instances', () => {
    redisTest("route modules sharing the store run a session's parallel requests one at a time", async () => {
        const store = open()
        const other = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET, store }))
            .post('/other/increment', ({ scopedStore }) => ++scopedStore.count)
        const user = client(new Elysia().use(stateApp({ store })).use(other))
        await user.post('/increment')
        const paths = Array.from({ length: 20 }, (_, i) => (i % 2 ? '/increment' : '/other/increment'))
        const responses = await Promise.all(paths.map((path) => user.post(path)))
        expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200))
        expect(await user.text('/count')).toBe('21')
    })
})

describe('closing the store as the app stops', () => {
    /** An app on a loopback port, whose session `cookie` has state, with `store`. */
    const listening = async (store: Store) => {
        const { app, stuck } = stuckApp({ store })
        app.post('/fail-late', async () => {
            await Bun.sleep(100)
            throw new Error('failed as the app stopped')
        }).listen({ port: 0, hostname: '127.0.0.1' })
        const base = `http://127.0.0.1:${app.server?.port}`
        const cookie = setCookieOf(await fetch(`${base}/increment`, { method: 'POST' })) ?? ''
        return { app, stuck, base, cookie }
    }

    redisTest('waits for a request whose client went away: its change is saved, its lock released', async () => {
        const keys = prefix()
        const store = redisStore({ url: redis().url, prefix: keys })
        const { app, stuck, base, cookie } = await listening(store)
        const inspect = raw()
        const gone = new AbortController()
        const request = fetch(`${base}/stuck`, { method: 'POST', headers: { cookie }, signal: gone.signal })
        const lock = lockOf(keys, cookie)
        while (!(await inspect.exists(lock))) await Bun.sleep(5)
        gone.abort()
        await request.catch(() => {})
        // The server's stop does not wait for a request whose client went away.
        await app.stop()
        const closed = store.close()
        expect(store.close()).toBe(closed)
        // Still in its handler as the store closes: no command of it in flight, only its lock held.
        await Bun.sleep(50)
        stuck.resolve()
        await closed
        expect(await inspect.exists(lock)).toBe(false)
        const record = (await inspect.get(`${keys}s:${sessionIdOf(cookie)}`)) ?? '{}'
        expect(JSON.parse(record).p._.count).toBe(99)
        inspect.close()
    })

    redisTest(
        'its wait is timed on a monotonic clock: a wall clock stepped forward does not cut it short',
        async () => {
            const keys = prefix()
            const store = redisStore({ url: redis().url, prefix: keys })
            await store.load('s', DAY)
            const closed = store.close()
            try {
                setSystemTime(Date.now() + 3_600_000)
                expect(await settledWithin(Promise.resolve(closed), 100)).toBe('pending')
            } finally {
                setSystemTime()
            }
            await store.save('s', '{"n":1}', DAY)
            await closed
            const inspect = raw()
            expect(await inspect.get(`${keys}s:s`)).toBe('{"n":1}')
            inspect.close()
        }
    )

    redisTest('once its wait is over, unlocks a lock taken since it began, which would outlive the wait', async () => {
        const keys = prefix()
        const store = redisStore({ url: redis().url, prefix: keys, ...SHORT_LEASE })
        // A request still running, which the close waits for, up to lockLease.
        await store.load('running', DAY)
        const closed = store.close()
        // A request that got its lock after the close began (it waited for another instance's).
        await store.load('late', DAY)
        const inspect = raw()
        // Its lease ends that much after the wait does: stretched, so that only the close can end it.
        await inspect.send('PEXPIRE', [`${keys}lock:late`, String(DAY)])
        await closed
        expect(await inspect.exists(`${keys}lock:late`)).toBe(false)
        inspect.close()
    })

    redisTest('waits for a request that fails as the app stops to release its lock', async () => {
        const keys = prefix()
        const store = redisStore({ url: redis().url, prefix: keys })
        const { app, base, cookie } = await listening(store)
        const failing = fetch(`${base}/fail-late`, { method: 'POST', headers: { cookie } })
        await Bun.sleep(30)
        // Its response is sent before the stop resolves; the release comes after it.
        await app.stop()
        expect((await failing).status).toBe(500)
        await store.close()
        const inspect = raw()
        expect(await inspect.exists(lockOf(keys, cookie))).toBe(false)
        inspect.close()
    })
})

describe('redis outage', () => {
    const USER_TIMEOUT = 5_000

    redisTest(
        'a server at its maxclients: the reason says so among what to check, and it connects once it can',
        async () => {
            const control = raw()
            const connected = String(await control.send('CLIENT', ['LIST']))
                .trim()
                .split('\n').length
            const { maxclients } = (await control.send('CONFIG', ['GET', 'maxclients'])) as { maxclients: string }
            await control.send('CONFIG', ['SET', 'maxclients', String(connected)])
            const store = redisStore({ url: redis().url, commandTimeout: 500 })
            try {
                await expect(Promise.resolve().then(() => store.stats())).rejects.toThrow(
                    "Session store unavailable: Redis: cannot connect (Connection closed): is it running and below its maxclients, and are the URL's user name and password right?"
                )
                await control.send('CONFIG', ['SET', 'maxclients', maxclients])
                expect(await store.stats()).toMatchObject({ evictions: 0 })
            } finally {
                await control.send('CONFIG', ['SET', 'maxclients', maxclients])
                control.close()
                await store.close()
            }
        }
    )

    redisTest('a wrong password, or no server at all: the reason says what to check', async () => {
        const control = raw()
        await control.send('CONFIG', ['SET', 'requirepass', 'right'])
        const wrongPassword = redisStore({
            url: redis().url.replace('redis://', 'redis://:wrong@'),
            commandTimeout: 500
        })
        const rightPassword = redisStore({
            url: redis().url.replace('redis://', 'redis://:right@'),
            commandTimeout: 500
        })
        const nobody = await unreachableRedisStore()
        try {
            expect(await rightPassword.stats()).toMatchObject({ evictions: 0 })
            for (const store of [wrongPassword, nobody])
                await expect(Promise.resolve().then(() => store.stats())).rejects.toThrow(
                    "Session store unavailable: Redis: cannot connect (Connection closed): is it running and below its maxclients, and are the URL's user name and password right?"
                )
        } finally {
            await control.send('CONFIG', ['SET', 'requirepass', ''])
            control.close()
            await Promise.all([wrongPassword.close(), rightPassword.close(), nobody.close()])
        }
    })

    redisTest(
        'stopped: requests answer 503 in bounded time; restarted: the same state is back',
        async () => {
            const server = redis()
            const app = stateApp({ store: open({ commandTimeout: 500 }) })
            const user = client(app)
            await user.post('/increment')
            await user.post('/increment')

            await server.stop()
            try {
                for (const request of [() => user.post('/increment'), () => user.get('/count')]) {
                    const response = await Promise.race([request(), Bun.sleep(USER_TIMEOUT).then(() => undefined)])
                    expect(response?.status).toBe(503)
                    expect(response?.headers.get('retry-after')).toBe('1')
                    expect(await response?.text()).toContain('Session store unavailable')
                }
            } finally {
                await server.start()
            }
            // The next request reconnects by itself.
            expect(await user.text('/count')).toBe('2')
            expect(await (await user.post('/increment')).text()).toBe('3')
        },
        20_000
    )

    redisTest(
        'a lock never sent (Redis down) leaves no token to take over: the next lock carries none',
        async () => {
            const server = redis()
            const keys = prefix()
            const user = client(stateApp({ store: open({ prefix: keys, commandTimeout: 500 }) }))
            await user.post('/increment')
            await server.stop()
            try {
                expect((await user.post('/increment')).status).toBe(503)
            } finally {
                await server.start()
            }
            // Every command logged, with its arguments.
            const admin = raw()
            await admin.send('CONFIG', ['SET', 'slowlog-log-slower-than', '0'])
            await admin.send('SLOWLOG', ['RESET'])
            try {
                expect(await (await user.post('/increment')).text()).toBe('2')
                const logged = (await admin.send('SLOWLOG', ['GET', '100'])) as [number, number, number, string[]][]
                // The lock script, by digest or in full (Redis restarted without its scripts): EVALSHA or
                // EVAL, the script, 4, four keys (the ended mark last), then token, lease, ttl and id, and no
                // abandoned token.
                const locks = logged
                    .map((entry) => entry[3])
                    .filter((args) => args[0]?.startsWith('EVAL') && args[2] === '4')
                    .filter((args) => args.includes(`${keys}ended:${sessionIdOf(user.cookie)}`))
                expect(locks.length).toBeGreaterThan(0)
                expect(locks.map((args) => args.length)).toEqual(locks.map(() => 11))
            } finally {
                await admin.send('CONFIG', ['SET', 'slowlog-log-slower-than', '10000'])
                admin.close()
            }
        },
        20_000
    )

    redisTest('a lock script that fails after taking the lock (an error reply) still releases it', async () => {
        const keys = prefix()
        const admin = raw()
        const user = client(stateApp({ store: open({ prefix: keys }) }))
        await user.post('/increment')
        // The expiry index of another kind: the script has taken the lock when its ZADD fails.
        await admin.del(`${keys}index`)
        await admin.set(`${keys}index`, 'not a sorted set')
        try {
            expect((await user.post('/increment')).status).toBe(503)
        } finally {
            await admin.del(`${keys}index`)
            admin.close()
        }
        // Held, the lock would make this wait lockTimeout (5 s), then answer 503.
        const next = await user.post('/increment')
        expect([next.status, await next.text()]).toEqual([200, '2'])
    })

    redisTest('a save that fails with an error reply writes nothing: the 503 means not saved', async () => {
        const keys = prefix()
        const admin = raw()
        const app = stateApp({ store: open({ prefix: keys }) }).post(
            '/break-index-then-increment',
            async ({ scopedStore }) => {
                // The expiry index of another kind: the save's ZADD fails.
                await admin.del(`${keys}index`)
                await admin.set(`${keys}index`, 'not a sorted set')
                return ++scopedStore.count
            }
        )
        const user = client(app)
        await user.post('/increment')
        try {
            expect((await user.post('/break-index-then-increment')).status).toBe(503)
        } finally {
            await admin.del(`${keys}index`)
            admin.close()
        }
        expect(await user.text('/count')).toBe('1')
    })

    redisTest(
        'full (maxmemory with noeviction): requests answer 503 and keep the state, and so do stats; with room they go on',
        async () => {
            const store = open()
            const user = client(stateApp({ store }))
            await user.post('/increment')
            const makeRoom = await fillRedis()
            try {
                // Even a read takes the session's lock, a write: Redis refuses it.
                for (const request of [() => user.post('/increment'), () => user.get('/count')]) {
                    const response = await request()
                    expect(response.status).toBe(503)
                    expect(await response.text()).toContain('Session store unavailable')
                }
                // A health check on stats fails with the requests.
                await expect(store.stats()).rejects.toThrow(StoreUnavailableError)
            } finally {
                await makeRoom()
            }
            expect(await user.text('/count')).toBe('1')
            expect(await (await user.post('/increment')).text()).toBe('2')
            expect((await store.stats()).sessions).toBe(1)
        }
    )

    redisTest(
        'frozen (connected but silent): requests answer 503 in bounded time, then recover',
        async () => {
            const server = redis()
            const app = stateApp({ store: open({ commandTimeout: 300 }) })
            const user = client(app)
            await user.post('/increment')

            server.freeze()
            try {
                const response = await Promise.race([
                    user.post('/increment'),
                    Bun.sleep(USER_TIMEOUT).then(() => undefined)
                ])
                expect(response?.status).toBe(503)
            } finally {
                server.thaw()
            }
            // The request failed while taking the lock, before its handler ran: nothing changed.
            expect(await user.text('/count')).toBe('1')
            expect(await (await user.post('/increment')).text()).toBe('2')
        },
        20_000
    )

    redisTest(
        'silent for longer than the lock lease: the connection is replaced, and the app recovers',
        async () => {
            const server = redis()
            const app = stateApp({ store: open({ commandTimeout: 100, lockTimeout: 100, lockLease: 300 }) })
            const user = client(app)
            await user.post('/increment')
            const inspect = raw()
            const connections = async () => {
                const list = String(await inspect.send('CLIENT', ['LIST']))
                const own = String(await inspect.send('CLIENT', ['ID']))
                return [...list.matchAll(/^id=(\d+)/gm)].map((match) => match[1]).filter((id) => id !== own)
            }
            const before = await connections()

            server.freeze()
            try {
                const frozenAt = Date.now()
                while (Date.now() - frozenAt < 600) expect((await user.post('/increment')).status).toBe(503)
            } finally {
                server.thaw()
            }
            // A connection attempt begun while frozen may still fail just after the thaw.
            const recovered = Date.now()
            let response = await user.get('/count')
            while (response.status === 503 && Date.now() - recovered < 5_000) response = await user.get('/count')
            expect(await response.text()).toBe('1')
            expect(await (await user.post('/increment')).text()).toBe('2')
            expect((await connections()).filter((id) => !before.includes(id)).length).toBeGreaterThan(0)
            inspect.close()
        },
        20_000
    )
})

describe('a session ended in one process is ended in the others', () => {
    redisTest(
        'a minute on, every instance, the one that ended it too, starts the old cookie a new session, and none saves under the old id',
        async () => {
            // The browser kept the old cookie: the logout's answer was lost.
            const keys = prefix()
            const clock = manualClock()
            const instance = () => stateApp({ store: open({ prefix: keys }), now: clock.now })
            const [ender, sawIt, didNot] = [instance(), instance(), instance()]
            const user = client(ender)
            await user.post('/increment')
            const ended = user.cookie
            await user.post('/logout')
            const old = sessionIdOf(ended)
            expect((await client(sawIt, ended).post('/increment')).status).toBe(409)
            // A minute passes, on the instances' clocks and on Redis's (the mark holds when it was made).
            clock.advance(61)
            const admin = raw()
            const mark = `${keys}ended:${old}`
            await admin.send('SET', [mark, String(Number(await admin.get(mark)) - 61_000), 'KEEPTTL'])
            for (const app of [ender, sawIt, didNot]) {
                const late = client(app, ended)
                const response = await late.post('/increment')
                expect([response.status, await response.text()]).toEqual([200, '1'])
                expect(sessionIdOf(late.cookie)).not.toBe(old)
                expect(await late.text('/count')).toBe('1')
            }
            expect(await admin.exists(`${keys}s:${old}`)).toBe(false)
            expect(await admin.exists(mark)).toBe(true)
            admin.close()
        }
    )

    redisTest(
        'a Redis that lost its data (a restart without persistence): every session starts over, the ended one too where its end was not seen',
        async () => {
            const keys = prefix()
            const [ender, didNot] = [
                stateApp({ store: open({ prefix: keys }) }),
                stateApp({ store: open({ prefix: keys }) })
            ]
            const user = client(ender)
            await user.post('/increment')
            const ended = user.cookie
            await user.post('/logout')
            const other = client(didNot)
            await other.post('/increment')
            await other.post('/increment')
            const admin = raw()
            await admin.send('DEL', (await admin.send('KEYS', [`${keys}*`])) as string[])
            admin.close()
            expect(await (await other.post('/increment')).text()).toBe('1')
            // Its mark gone, the instance that did not see the end takes the old cookie back, empty.
            const late = client(didNot, ended)
            expect(await (await late.post('/increment')).text()).toBe('1')
            expect(sessionIdOf(late.cookie)).toBe(sessionIdOf(ended))
            // The one that ended it still remembers, for its grace minute.
            expect((await client(ender, ended).post('/increment')).status).toBe(409)
        }
    )

    redisTest('a logout’s mark lives as long as the old cookie may be sent, not a minute', async () => {
        const keys = prefix()
        const user = client(stateApp({ store: open({ prefix: keys }), idleTimeout: 3_600 }))
        await user.post('/increment')
        const old = sessionIdOf(user.cookie)
        await user.post('/logout')
        const admin = raw()
        const life = Number(await admin.send('PTTL', [`${keys}ended:${old}`]))
        admin.close()
        expect(life).toBeGreaterThan(3_590_000)
        expect(life).toBeLessThanOrEqual(3_600_000)
    })

    redisTest('a session ended again (a second logout) keeps its first end, and the longer life', async () => {
        const keys = prefix()
        const store = open({ prefix: keys })
        const admin = raw()
        const mark = `${keys}ended:twice`
        await store.delete('twice', DAY)
        await admin.send('SET', [mark, String(Number(await admin.get(mark)) - 30_000), 'KEEPTTL'])
        await store.delete('twice', 1_000)
        const ended = (await store.load('twice', DAY)) as EndedSession
        expect(ended[SESSION_ENDED]).toBeGreaterThanOrEqual(30_000)
        expect(Number(await admin.send('PTTL', [mark]))).toBeGreaterThan(DAY - 60_000)
        admin.close()
    })

    redisTest(
        'a request of a session the app deleted meanwhile, in this process, saves nothing under the ended id',
        async () => {
            const keys = prefix()
            const store = open({ prefix: keys })
            const app = new Elysia()
                .use(scopedState({ cart: { value: 0, preserve: true } }, { secret: SECRET, store }))
                .post('/add', ({ scopedStore }) => ++scopedStore.cart)
                .post('/slow-add', async ({ scopedStore }) => {
                    await Bun.sleep(200)
                    return ++scopedStore.cart
                })
            const user = client(app)
            await user.post('/add')
            const id = sessionIdOf(user.cookie)
            // Its lock is held by the slow request when the app deletes the session (store.ts: "an app
            // deleting a session itself"), as a "sign out everywhere" from another request would.
            const slow = user.post('/slow-add')
            await Bun.sleep(50)
            await store.delete(id)
            expect((await slow).status).not.toBe(200)
            const admin = raw()
            expect(await admin.exists(`${keys}s:${id}`)).toBe(false)
            admin.close()
        }
    )

    redisTest('a mark left by an earlier version, without its time, counts as just made', async () => {
        const keys = prefix()
        const user = client(stateApp({ store: open({ prefix: keys }) }))
        await user.post('/increment')
        const admin = raw()
        await admin.send('SET', [`${keys}ended:${sessionIdOf(user.cookie)}`, '1', 'PX', '60000'])
        admin.close()
        const response = await user.post('/increment')
        expect([response.status, response.headers.get('set-cookie')]).toEqual([409, null])
    })

    redisTest(
        "an app's end is marked dated back; a mark already there, this version's or an earlier one's, keeps its time",
        async () => {
            const keys = prefix()
            const store = open({ prefix: keys })
            const admin = raw()
            const agoOf = async (id: string) => {
                const answer = (await store.load(id, DAY)) as EndedSession
                await store.release(id)
                return answer[SESSION_ENDED]
            }
            await store.delete('app', DAY, 3_600_000)
            expect(await agoOf('app')).toBeGreaterThanOrEqual(3_600_000)
            // Within a logout's grace minute, the app's end leaves it, as the process that ended it does.
            await store.delete('logout', DAY)
            await store.delete('logout', DAY, 3_600_000)
            expect(await agoOf('logout')).toBeLessThan(60_000)
            // An earlier version's mark, without its time, counts as just made.
            await admin.send('SET', [`${keys}ended:old`, '1', 'PX', '60000'])
            await store.delete('old', DAY, 3_600_000)
            expect(await agoOf('old')).toBeLessThan(60_000)
            expect(Number(await admin.get(`${keys}ended:old`))).toBeGreaterThan(1)
            admin.close()
        }
    )

    redisTest('a login sent twice, its copies on two instances: the second answers 409, the cart kept', async () => {
        const keys = prefix()
        const first = client(stateApp({ store: open({ prefix: keys }) }))
        await first.post('/cart/mug')
        const before = first.cookie
        const second = client(stateApp({ store: open({ prefix: keys }) }), before)
        expect((await first.post('/login')).status).toBe(200)
        // From the deleted session, it would sign in with an empty cart, the cookie the browser keeps last.
        const again = await second.post('/login')
        expect(again.status).toBe(409)
        expect(again.headers.get('set-cookie')).toBeNull()
        expect(await first.text('/cart')).toBe('mug')
    })

    redisTest('a request with the old cookie on another instance is not sent that cookie again', async () => {
        const keys = prefix()
        // refreshAfter 0: the cookie is due on every request.
        const user = client(stateApp({ store: open({ prefix: keys }), refreshAfter: 0 }))
        await user.post('/cart/mug')
        const before = user.cookie
        await user.post('/logout')
        const late = await client(stateApp({ store: open({ prefix: keys }), refreshAfter: 0 }), before).get('/cart')
        expect([late.status, await late.text()]).toEqual([200, ''])
        expect(late.headers.get('set-cookie')).toBeNull()
    })
})

/**
 * Failures that used to leave a session's lock in Redis for its whole lease, making the user's
 * next request to another instance wait `lockTimeout` and answer 503 after Redis was fine again;
 * and a login that lost the user's state. `elsewhere` is another instance: its own store object.
 */
describe('a failure leaves no lock behind, and loses no login', () => {
    /** Another instance that waits 1 s for a lock (a lock left behind would hold it for 10 s). */
    const elsewhere = (keys: string) =>
        stateApp({ store: open({ prefix: keys, lockTimeout: 1_000, commandTimeout: 250, lockLease: 1_500 }) })
    /** Arguments as RESP frames them on the wire: what the proxy looks for. */
    const resp = (...args: string[]) => args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')
    /** The delete script, taught to Redis by a logout: a proxy's cut command is then the delete itself. */
    const knowDeleteScript = async (keys: string) => {
        const other = client(stateApp({ store: open({ prefix: keys }) }))
        await other.post('/cart/pen')
        await other.post('/logout')
    }
    /** Runs `check` with a user holding `cookie` on an instance that reaches Redis through `cuttingProxy`. */
    const throughProxy = async (
        keys: string,
        cookie: string,
        { on, drop = false }: { on: string; drop?: boolean },
        check: (user: ReturnType<typeof client>) => Promise<void>
    ) => {
        const cut = cuttingProxy(redis().port, on, { drop })
        try {
            await check(
                client(stateApp({ store: open({ url: `redis://127.0.0.1:${cut.port}`, prefix: keys }) }), cookie)
            )
        } finally {
            cut.stop(true)
        }
    }

    redisTest('a save answered with an error reply unlocks at once', async () => {
        const keys = prefix()
        let makeRoom: (() => Promise<void>) | undefined
        const app = stateApp({ store: open({ prefix: keys }) }).post(
            '/full-then-increment',
            async ({ scopedStore }) => {
                // Redis fills up while the handler runs: the save's script fails before its unlock.
                makeRoom = await fillRedis()
                return ++scopedStore.count
            }
        )
        const user = client(app)
        await user.post('/increment')
        try {
            expect((await user.post('/full-then-increment')).status).toBe(503)
        } finally {
            await makeRoom?.()
        }
        const next = await client(elsewhere(keys), user.cookie).get('/count')
        expect([next.status, await next.text()]).toEqual([200, '1'])
    })

    redisTest("a token this process abandoned takes over its own lock only, never another process's", async () => {
        const keys = prefix()
        const [here, there] = [open({ prefix: keys }), open({ prefix: keys })]
        await here.save('s', '{"n":0}', DAY)
        await here.load('s', DAY)
        // Redis fills up: the save fails with an error reply, and its token is abandoned here.
        const makeRoom = await fillRedis()
        try {
            await expect(Promise.resolve(here.save('s', '{"n":1}', DAY))).rejects.toThrow()
        } finally {
            await makeRoom()
        }
        // The unlock sent again after the error has run: the other process takes the lock.
        await Bun.sleep(50)
        expect(await there.load('s', DAY)).toBe('{"n":0}')
        const waiting = Promise.resolve(here.load('s', DAY))
        const first = await Promise.race([waiting.then(() => 'loaded'), Bun.sleep(150).then(() => 'waiting')])
        expect(first).toBe('waiting')
        await there.save('s', '{"n":2}', DAY)
        expect(await waiting).toBe('{"n":2}')
        await here.release('s')
    })

    redisTest('an unlock whose connection closes is sent again on a new one', async () => {
        const keys = prefix()
        const user = client(stateApp({ store: open({ prefix: keys }) }))
        await user.post('/increment')
        const lock = `${keys}lock:${sessionIdOf(user.cookie)}`
        // The unlock script is the one command with this lock as its only key: it never reaches Redis.
        // The unlock is sent again through the proxy, so the other instance asks while it is up.
        await throughProxy(keys, user.cookie, { on: resp('1', lock), drop: true }, async (proxied) => {
            expect(await proxied.text('/count')).toBe('1')
            const next = await client(elsewhere(keys), user.cookie).get('/count')
            expect([next.status, await next.text()]).toEqual([200, '1'])
        })
    })

    redisTest('a logout whose delete never reaches Redis answers 503 and leaves no lock', async () => {
        const keys = prefix()
        const user = client(stateApp({ store: open({ prefix: keys }) }))
        await user.post('/cart/mug')
        await knowDeleteScript(keys)
        const id = sessionIdOf(user.cookie)
        // The delete script is the one command where the ended mark is followed by the id.
        await throughProxy(keys, user.cookie, { on: resp(`${keys}ended:${id}`, id), drop: true }, async (proxied) => {
            expect((await proxied.post('/logout')).status).toBe(503)
            const next = await client(elsewhere(keys), user.cookie).get('/cart')
            expect([next.status, await next.text()]).toEqual([200, 'mug'])
        })
    })

    redisTest('a login whose delete of the old session loses its answer still signs in, keys kept', async () => {
        const keys = prefix()
        const warn = spyOn(console, 'warn').mockImplementation(() => {})
        await knowDeleteScript(keys)
        const user = client(stateApp({ store: open({ prefix: keys }) }))
        await user.post('/cart/mug')
        const old = sessionIdOf(user.cookie)
        try {
            // The delete script is the one command where the ended mark is followed by the id.
            await throughProxy(keys, user.cookie, { on: resp(`${keys}ended:${old}`, old) }, async (proxied) => {
                const login = await proxied.post('/login')
                expect([login.status, await login.text()]).toEqual([200, 'regenerated'])
                expect(sessionIdOf(proxied.cookie)).not.toBe(old)
                expect(await proxied.text('/cart')).toBe('mug')
            })
            // Redis ran the delete: the old id reaches nothing.
            expect(await raw().get(`${keys}s:${old}`)).toBeNull()
            expect(warn.mock.calls.flat().join()).toContain('deleting the old one failed')
        } finally {
            warn.mockRestore()
        }
    })
})
