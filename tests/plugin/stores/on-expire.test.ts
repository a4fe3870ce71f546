/**
 * `onExpire` of each built-in store: which sessions it dropped on its own, and why, told once,
 * never for the deletes the plugin asked for, and a listener that throws breaks nothing.
 */
import { afterAll, describe, expect, jest, spyOn, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import {
    type ExpiryReason,
    memoryStore,
    redisStore,
    SESSION_BYTES,
    type Store,
    sqliteStore
} from '../../../plugins/scoped-state'
import { client, sessionIdOf } from '../../helpers/client'
import { manualClock, stateApp } from '../../helpers/plugin-app'
import { redisTest, useRedis } from '../../helpers/redis'

const folder = mkdtempSync(join(tmpdir(), 'on-expire-'))
const stores: Store[] = []
// Before the server stops: its hook, registered after this one, runs after it.
afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    rmSync(folder, { recursive: true, force: true })
})
const redis = useRedis()
const kept = <S extends Store>(store: S) => {
    stores.push(store)
    return store
}
let files = 0
const newFile = () => join(folder, `state-${++files}.db`)
const DAY = 86_400_000

/** What a listener heard, in order, and a promise of the moment it has heard `count` reports. */
const listener = () => {
    const heard: [string, ExpiryReason][] = []
    let waiting: { count: number; resolve: () => void } | undefined
    const onExpire = (id: string, reason: ExpiryReason) => {
        heard.push([id, reason])
        if (waiting && heard.length >= waiting.count) waiting.resolve()
    }
    const heardAtLeast = (count: number) => {
        if (heard.length >= count) return Promise.resolve()
        const { promise, resolve } = Promise.withResolvers<void>()
        waiting = { count, resolve }
        return promise
    }
    return { heard, onExpire, heardAtLeast }
}

/** A listener that always throws, and `console.error` watched for what the store reports of it. */
const throwing = () => {
    let calls = 0
    const errors = spyOn(console, 'error').mockImplementation(() => {})
    return {
        onExpire: () => {
            calls++
            throw new Error('the file system is read-only')
        },
        calls: () => calls,
        /** The lines the store logged of its listener, and stops watching: another file's timer may log meanwhile. */
        logged: () => {
            const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('onExpire'))
            errors.mockRestore()
            return lines
        }
    }
}

describe('memory store', () => {
    test('an expired session met by a load is told, with its id', () => {
        let now = 0
        const { heard, onExpire } = listener()
        const store = kept(memoryStore({ now: () => now, onExpire }))
        store.save('gone', '{}', 1_000)
        store.save('live', '{}', 5_000)
        now += 1_000
        expect(store.load('gone', 1_000)).toBeUndefined()
        expect(store.load('live', 1_000)).toBe('{}')
        expect(heard).toEqual([['gone', 'expired']])
    })

    test('expired sessions found by the sweep are told; live ones are not', async () => {
        let now = 0
        const { heard, onExpire, heardAtLeast } = listener()
        const store = kept(memoryStore({ now: () => now, onExpire, sweepInterval: 1 }))
        for (const id of ['a', 'b']) store.save(id, '{}', 1_000)
        store.save('live', '{}', 5_000)
        now += 1_000
        await heardAtLeast(2)
        expect(heard.toSorted()).toEqual([
            ['a', 'expired'],
            ['b', 'expired']
        ])
        expect(store.load('live', 1_000)).toBe('{}')
    })

    test('sessions evicted past maxSessions or maxBytes are told, with onEvict still called', () => {
        const { heard, onExpire } = listener()
        let evicted = 0
        const store = kept(
            memoryStore({ maxSessions: 2, maxBytes: 3 * (SESSION_BYTES + 1), onExpire, onEvict: () => evicted++ })
        )
        for (const id of ['a', 'b', 'c']) store.save(id, '1', 60_000) // a goes: maxSessions
        store.save('b', '1'.repeat(300), 60_000) // c goes: maxBytes
        expect(heard).toEqual([
            ['a', 'evicted'],
            ['c', 'evicted']
        ])
        expect(evicted).toBe(2)
    })

    test('a listener that throws: saves, loads and the sweep go on, and it is reported once', async () => {
        let now = 0
        const listening = throwing()
        const store = kept(
            memoryStore({ now: () => now, maxSessions: 1, onExpire: listening.onExpire, sweepInterval: 1 })
        )
        store.save('a', '1', 1_000)
        store.save('b', '1', 1_000) // evicts a
        now += 1_000
        expect(store.load('b', 1_000)).toBeUndefined()
        store.save('c', '1', 1_000)
        expect(store.load('c', 1_000)).toBe('1')
        store.save('d', '1', 1_000) // evicts c
        now += 5_000
        while ((await store.stats()).sessions > 0) await Bun.sleep(1)
        expect(listening.calls()).toBe(4)
        const lines = listening.logged()
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain("memoryStore's onExpire failed (the file system is read-only)")
    })

    test('a listener whose promise rejects is reported once, and ends nothing', async () => {
        let now = 0
        const errors = spyOn(console, 'error').mockImplementation(() => {})
        const store = kept(
            memoryStore({
                now: () => now,
                onExpire: async () => {
                    throw new Error('the database is down')
                }
            })
        )
        for (const id of ['a', 'b']) store.save(id, '1', 1_000)
        now += 1_000
        store.load('a', 1_000)
        store.load('b', 1_000)
        await Bun.sleep(0)
        const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('onExpire'))
        errors.mockRestore()
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain('the database is down')
    })
})

describe('sqlite store', () => {
    test('an expired row met by a load is told, with its id', () => {
        let now = 0
        const { heard, onExpire } = listener()
        const store = kept(sqliteStore({ path: newFile(), now: () => now, onExpire }))
        store.save('gone', '{}', 1_000)
        store.save('live', '{}', 5_000)
        now += 1_200 // past the slack the store keeps rows for
        expect(store.load('gone', 1_000)).toBeUndefined()
        expect(store.load('live', 1_000)).toBe('{}')
        expect(heard).toEqual([['gone', 'expired']])
        expect(store.stats()).toMatchObject({ expirations: 1 })
    })

    test('two connections sweeping one file, steps interleaved: each expired id told once, by one of them', async () => {
        let now = 0
        const path = newFile()
        const [first, second] = [listener(), listener()]
        // More rows than a sweep deletes in one step, so the two sweeps take turns.
        const ids = Array.from({ length: 2_500 }, (_, i) => `s${i}`)
        const writer = kept(sqliteStore({ path, now: () => now }))
        for (const id of ids) writer.save(id, '{}', 1_000)
        writer.save('live', '{}', DAY)
        kept(sqliteStore({ path, now: () => now, onExpire: first.onExpire, sweepInterval: 1 }))
        kept(sqliteStore({ path, now: () => now, onExpire: second.onExpire, sweepInterval: 1 }))
        now += 2_000
        while (first.heard.length + second.heard.length < ids.length) await Bun.sleep(1)
        const told = [...first.heard, ...second.heard]
        expect(told.map(([id]) => id).toSorted()).toEqual(ids.toSorted())
        expect(new Set(told.map(([, reason]) => reason))).toEqual(new Set(['expired']))
        // A load of an id the other connection deleted tells nothing more.
        expect(writer.load('s1', 1_000)).toBeUndefined()
        expect(writer.load('live', 1_000)).toBe('{}')
        expect(told).toHaveLength(ids.length)
    })

    test('a listener that throws: the sweep deletes every expired row, loads answer, reported once', async () => {
        let now = 0
        const listening = throwing()
        const store = kept(
            sqliteStore({ path: newFile(), now: () => now, onExpire: listening.onExpire, sweepInterval: 1 })
        )
        for (const id of ['a', 'b', 'c']) store.save(id, '{}', 1_000)
        now += 2_000
        expect(store.load('a', 1_000)).toBeUndefined()
        while (listening.calls() < 3) await Bun.sleep(1)
        store.save('d', '{}', 1_000)
        expect(store.load('d', 1_000)).toBe('{}')
        expect(store.stats()).toMatchObject({ sessions: 1, expirations: 3 })
        const lines = listening.logged()
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain("sqliteStore's onExpire failed")
    })
})

describe('redis store', () => {
    const prefix = () => `on-expire-${crypto.randomUUID()}:`

    redisTest('a session whose key expired is told by the next save, or by stats()', async () => {
        const { heard, onExpire } = listener()
        const store = kept(redisStore({ url: redis().url, prefix: prefix(), onExpire }))
        await store.save('first', '{}', 50)
        await Bun.sleep(100)
        await store.save('live', '{}', DAY)
        expect(heard).toEqual([['first', 'expired']])
        await store.save('second', '{}', 50)
        await Bun.sleep(100)
        expect(await store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 2 })
        expect(heard).toEqual([
            ['first', 'expired'],
            ['second', 'expired']
        ])
    })

    redisTest('a key Redis evicted under maxmemory is told once its TTL would have passed', async () => {
        const keys = prefix()
        const { heard, onExpire, heardAtLeast } = listener()
        const store = kept(redisStore({ url: redis().url, prefix: keys, onExpire, sweepInterval: 5 }))
        // Long enough that the key is evicted, not expired, on a slow machine (checked by Redis's count below).
        await store.save('evicted', 'x'.repeat(200_000), 2_000)
        const admin = new RedisClient(redis().url)
        const evictions = async () =>
            Number(/evicted_keys:(\d+)/.exec(String(await admin.send('INFO', ['stats'])))?.[1])
        const evictedBefore = await evictions()
        await admin.send('CONFIG', ['SET', 'maxmemory-policy', 'volatile-ttl'])
        try {
            // Just under what Redis uses now: the next write makes it evict the key that expires first, the session's.
            const used = Number(/used_memory:(\d+)/.exec(String(await admin.send('INFO', ['memory'])))?.[1])
            await admin.send('CONFIG', ['SET', 'maxmemory', String(used - 50_000)])
            await admin.send('SET', [`${keys}write`, '1'])
        } finally {
            await admin.send('CONFIG', ['SET', 'maxmemory', '0'])
            await admin.send('CONFIG', ['SET', 'maxmemory-policy', 'noeviction'])
        }
        expect(await admin.exists(`${keys}s:evicted`)).toBe(false)
        expect(await evictions()).toBeGreaterThan(evictedBefore)
        expect(Number(await admin.send('ZCARD', [`${keys}index`]))).toBe(1)
        admin.close()
        await heardAtLeast(1)
        expect(heard).toEqual([['evicted', 'expired']])
    })

    redisTest('three processes pruning one index at once: each expired id told once, by one of them', async () => {
        const keys = prefix()
        const [first, second, third] = [listener(), listener(), listener()]
        const stores = [first, second, third].map(({ onExpire }) =>
            kept(redisStore({ url: redis().url, prefix: keys, onExpire }))
        )
        await stores[0]?.save('live', '{}', DAY)
        // Put in the index as expired, not saved with a short TTL: saves prune, and on a slow machine the
        // saves of the later ids would tell the earlier ones, leaving the prunes checked here nothing.
        const ids = Array.from({ length: 2_500 }, (_, i) => `s${i}`)
        const admin = new RedisClient(redis().url)
        await admin.send('ZADD', [`${keys}index`, ...ids.flatMap((id) => ['0', id])])
        admin.close()
        // Sent together: Redis runs the three scripts one after the other, in whatever order their
        // connections deliver them: 1 000 ids, 1 000, then the rest.
        await Promise.all(stores.map((store) => store.stats()))
        const told = [first, second, third].flatMap(({ heard }) => heard.map(([id]) => id))
        expect(told.toSorted()).toEqual(ids.toSorted())
        // Each pruned: a process that tells nothing another told is what is checked.
        expect([first, second, third].map(({ heard }) => heard.length).toSorted((a, b) => a - b)).toEqual([
            500, 1_000, 1_000
        ])
        expect(await stores[0]?.stats()).toEqual({ sessions: 1, evictions: 0, expirations: ids.length })
    })

    redisTest('one tick of the timer prunes batch after batch until the index holds no expired id', async () => {
        const keys = prefix()
        const { heard, onExpire, heardAtLeast } = listener()
        const ids = Array.from({ length: 2_500 }, (_, i) => `s${i}`)
        const admin = new RedisClient(redis().url)
        await admin.send('ZADD', [`${keys}index`, ...ids.flatMap((id) => ['0', id])])
        admin.close()
        // The store's timer made under fake timers, and run once: the later batches can only come
        // from the loop within that tick, which awaits Redis, not timers.
        jest.useFakeTimers()
        try {
            kept(redisStore({ url: redis().url, prefix: keys, onExpire, sweepInterval: 60_000 }))
            jest.advanceTimersByTime(60_000)
        } finally {
            jest.useRealTimers()
        }
        await heardAtLeast(ids.length)
        expect(heard.map(([id]) => id).toSorted()).toEqual(ids.toSorted())
    })

    redisTest('a listener that throws: saves and stats go on, and it is reported once', async () => {
        const listening = throwing()
        const store = kept(redisStore({ url: redis().url, prefix: prefix(), onExpire: listening.onExpire }))
        for (const id of ['a', 'b']) await store.save(id, '{}', 50)
        await Bun.sleep(100)
        await store.save('c', '{}', DAY)
        expect(await store.load('c', DAY)).toBe('{}')
        await store.save('c', '{"v":1}', DAY)
        expect(await store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 2 })
        expect(listening.calls()).toBe(2)
        const lines = listening.logged()
        expect(lines).toHaveLength(1)
        expect(lines[0]).toContain("redisStore's onExpire failed")
    })
})

describe('through the plugin: a login, a logout and endScopedSession are the app’s own, not told', () => {
    /** A user who signs in, then out, and one whose session another ends; then one session expires. */
    const scenario = async (store: Store, expire: (id: string) => Promise<void>, heard: () => string[]) => {
        const app = stateApp({ store }).post('/end/:id', ({ endScopedSession, params }) => endScopedSession(params.id))
        const ann = client(app)
        await ann.post('/cart/hat')
        const beforeLogin = sessionIdOf(ann.cookie)
        await ann.post('/login')
        const afterLogin = sessionIdOf(ann.cookie)
        await ann.post('/logout')
        const bob = client(app)
        await bob.post('/cart/pen')
        await client(app).post(`/end/${sessionIdOf(bob.cookie)}`)
        const cid = client(app)
        await cid.post('/cart/mug')
        await expire(sessionIdOf(cid.cookie))
        expect(beforeLogin).not.toBe(afterLogin)
        expect(heard()).toEqual([sessionIdOf(cid.cookie)])
    }

    test('memory store', async () => {
        const clock = manualClock()
        const { heard, onExpire } = listener()
        const store = kept(memoryStore({ now: clock.now, onExpire }))
        await scenario(
            store,
            async (id) => {
                clock.advance(8 * 86_400)
                store.load(id, 1_000)
            },
            () => heard.map(([id]) => id)
        )
    })

    test('sqlite store', async () => {
        const clock = manualClock()
        const { heard, onExpire } = listener()
        const store = kept(sqliteStore({ path: newFile(), now: clock.now, onExpire }))
        await scenario(
            store,
            async (id) => {
                clock.advance(9 * 86_400)
                store.load(id, 1_000)
            },
            () => heard.map(([id]) => id)
        )
    })

    redisTest('redis store', async () => {
        const { heard, onExpire } = listener()
        const store = kept(redisStore({ url: redis().url, prefix: `on-expire-${crypto.randomUUID()}:`, onExpire }))
        await scenario(
            store,
            async (id) => {
                // The plugin's save gave it a week: a save of one millisecond stands for its passing.
                await store.save(id, '{}', 1)
                await Bun.sleep(20)
                await store.stats()
            },
            () => heard.map(([id]) => id)
        )
    })
})
