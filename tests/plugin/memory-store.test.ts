/** The default store stays bounded: a session cap, a sweep, and no entry until state is written. */
import { describe, expect, test } from 'bun:test'
import { memoryStore, SESSION_BYTES, type Store } from '../../plugins/scoped-state'
import { client, NAVIGATE } from '../helpers/client'
import { manualClock, stateApp } from '../helpers/plugin-app'

/** Which of `ids` the store still holds (loading them, which counts as a use). */
const kept = (store: Store, ids: string[]) => ids.filter((id) => store.load(id, 60_000) !== undefined)

/** What a session holding `record` counts against `maxBytes`: its length, twice that past ASCII. */
const cost = (record: string) => SESSION_BYTES + (/^[\x20-\x7e]*$/.test(record) ? 1 : 2) * record.length

describe('memory store', () => {
    test('evicts the least recently used session at maxSessions', async () => {
        const store = memoryStore({ maxSessions: 2 })
        const app = stateApp({ store })
        const [a, b, c] = [client(app), client(app), client(app)]
        await a.post('/increment')
        await b.post('/increment')
        await a.get('/count') // a is now more recent than b
        await c.post('/increment')
        expect(await a.text('/count')).toBe('1')
        expect(await b.text('/count')).toBe('0')
        expect(await c.text('/count')).toBe('1')
        expect(await store.stats()).toMatchObject({ sessions: 2, evictions: 1, expirations: 0 })
    })

    test('a session evicted while its request awaited is not brought back by that request (409)', async () => {
        const store = memoryStore({ maxSessions: 1 })
        const read = Promise.withResolvers<void>()
        const finish = Promise.withResolvers<void>()
        const app = stateApp({ store }).post('/slow-increment', async ({ scopedStore }) => {
            const seen = scopedStore.count
            read.resolve()
            await finish.promise
            scopedStore.count = seen + 1
            return scopedStore.count
        })
        const [a, b] = [client(app), client(app)]
        await a.post('/theme/dark')
        const slow = a.post('/slow-increment')
        await read.promise
        // Another user's first write pushes the session out.
        await b.post('/theme/light')
        finish.resolve()
        expect((await slow).status).toBe(409)
        expect(await store.stats()).toMatchObject({ sessions: 1, evictions: 1 })
    })

    test('keeps least-recently-used order through loads, saves and deletes', () => {
        const store = memoryStore({ maxSessions: 3 })
        store.save('a', '1', 60_000)
        store.save('b', '1', 60_000)
        store.save('c', '1', 60_000)
        store.load('a', 60_000) // order, oldest first: b c a
        store.save('d', '1', 60_000) // evicts b
        store.delete('a') // c d
        store.save('e', '1', 60_000) // c d e
        store.save('f', '1', 60_000) // full again: evicts c, the oldest
        expect(store.stats()).toEqual({ sessions: 3, bytes: 3 * cost('1'), evictions: 2, expirations: 0 })
        expect(kept(store, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual(['d', 'e', 'f'])
        store.close()
    })

    test('a flood of form posts without a cookie does not push out returning users', async () => {
        const store = memoryStore({ maxSessions: 20 })
        const app = stateApp({ store })
        const alice = client(app)
        await alice.post('/increment')
        await alice.post('/increment') // she came back: her session is a returning one
        for (let i = 0; i < 200; i++) await client(app).post('/increment')
        expect(await store.stats()).toMatchObject({ sessions: 20, evictions: 181, expirations: 0 })
        expect(await (await alice.post('/increment')).text()).toBe('3')
    })

    test('sessions that never came back are evicted first, oldest first', () => {
        const store = memoryStore({ maxSessions: 5 })
        for (const id of ['a', 'b', 'c']) {
            store.save(id, '1', 60_000)
            store.load(id, 60_000)
        }
        for (const id of ['x1', 'x2', 'x3', 'x4']) store.save(id, '1', 60_000)
        expect(store.stats()).toEqual({ sessions: 5, bytes: 5 * cost('1'), evictions: 2, expirations: 0 })
        expect(kept(store, ['a', 'b', 'c', 'x1', 'x2', 'x3', 'x4'])).toEqual(['a', 'b', 'c', 'x3', 'x4'])
        store.close()
    })

    test('past four fifths of maxSessions, the oldest returning session steps back among the others', () => {
        const store = memoryStore({ maxSessions: 5 })
        for (const id of ['a', 'b', 'c', 'd', 'e']) {
            store.save(id, '1', 60_000)
            store.load(id, 60_000) // the fifth returning session: a, the oldest, steps back
        }
        store.save('f', '1', 60_000)
        expect(kept(store, ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual(['b', 'c', 'd', 'e', 'f'])
        store.close()
    })

    test('a returning session stays spared however often it comes back', () => {
        const store = memoryStore({ maxSessions: 10 })
        store.save('alice', '1', 60_000)
        for (let i = 0; i < 20; i++) store.load('alice', 60_000)
        for (let i = 0; i < 30; i++) store.save(`x${i}`, '1', 60_000)
        expect(kept(store, ['alice'])).toEqual(['alice'])
        store.close()
    })

    test('sessions that never came back, once deleted, do not leave returning ones room to crowd out a first write', () => {
        const store = memoryStore({ maxSessions: 10 })
        // Logouts of one-request sessions.
        for (let i = 0; i < 20; i++) {
            store.save(`gone${i}`, '1', 60_000)
            store.delete(`gone${i}`)
        }
        for (let i = 0; i < 10; i++) {
            store.save(`r${i}`, '1', 60_000)
            store.load(`r${i}`, 60_000)
        }
        // A returning session steps back and goes instead of the new visitor's first write.
        store.save('fresh', '1', 60_000)
        expect(kept(store, ['fresh'])).toEqual(['fresh'])
        store.close()
    })

    test('evicts the least recently used sessions past maxBytes, counting a character past ASCII twice', () => {
        const record = 'x'.repeat(100)
        const store = memoryStore({ maxBytes: 3 * cost(record) })
        for (const id of ['a', 'b', 'c']) store.save(id, record, 60_000)
        expect(store.stats()).toEqual({ sessions: 3, bytes: 3 * cost(record), evictions: 0, expirations: 0 })
        // 50 UTF-16 units, one past ASCII: all kept at two bytes, so counted as `record`'s 100. a goes.
        store.save('d', `${'x'.repeat(48)}😀`, 60_000)
        expect(store.stats()).toEqual({ sessions: 3, bytes: 3 * cost(record), evictions: 1, expirations: 0 })
        store.save('e', 'x'.repeat(101), 60_000) // one byte more: b and c go
        expect(store.stats()).toEqual({
            sessions: 2,
            bytes: cost(record) + cost(`${record}x`),
            evictions: 3,
            expirations: 0
        })
        expect(kept(store, ['a', 'b', 'c', 'd', 'e'])).toEqual(['d', 'e'])
        store.close()
    })

    test('onEvict hears of each eviction, not of expiry or deletion', () => {
        let now = 0
        let evicted = 0
        const store = memoryStore({ maxSessions: 2, maxBytes: 3 * cost('1'), now: () => now, onEvict: () => evicted++ })
        for (const id of ['a', 'b', 'c']) store.save(id, '1', 1_000) // a goes: maxSessions
        store.save('b', '1'.repeat(300), 1_000) // c goes: maxBytes
        expect(evicted).toBe(2)
        store.save('d', '1', 1_000)
        store.delete('d')
        now += 1_000
        expect(store.load('b', 1_000)).toBeUndefined()
        expect(store.stats()).toMatchObject({ sessions: 0, evictions: 2, expirations: 1 })
        expect(evicted).toBe(2)
        store.close()
    })

    test('an onEvict that throws leaves the store within its limits, the record saved', () => {
        const store = memoryStore({
            maxBytes: 3 * cost('1'),
            onEvict: () => {
                throw new Error('the log is down')
            }
        })
        for (const id of ['a', 'b', 'c']) store.save(id, '1', 60_000)
        const large = 'x'.repeat(300)
        expect(() => store.save('d', large, 60_000)).toThrow('the log is down')
        expect(store.stats()).toEqual({ sessions: 1, bytes: cost(large), evictions: 3, expirations: 0 })
        expect(store.load('d', 60_000)).toBe(large)
        store.close()
    })

    test('a session whose record grows pushes out others, never itself', () => {
        const store = memoryStore({ maxBytes: 10_000 })
        for (const id of ['a', 'b', 'c', 'd']) store.save(id, '1', 60_000)
        store.save('b', 'x'.repeat(9_000), 60_000)
        expect(kept(store, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd'])
        store.save('b', 'x'.repeat(20_000), 60_000) // over the limit alone: kept, with the others gone
        expect(store.stats()).toEqual({ sessions: 1, bytes: cost('x'.repeat(20_000)), evictions: 3, expirations: 0 })
        store.save('b', '1', 60_000)
        expect(store.stats()).toMatchObject({ sessions: 1, bytes: cost('1') })
        store.close()
    })

    test('a flood of large first writes does not push out returning users, up to four fifths of maxBytes', () => {
        const big = 'x'.repeat(1_000 - SESSION_BYTES)
        const store = memoryStore({ maxBytes: 10_000 })
        for (let i = 0; i < 9; i++) {
            store.save(`r${i}`, big, 60_000)
            store.load(`r${i}`, 60_000) // the ninth: r0, the oldest returning, steps back
        }
        for (let i = 0; i < 50; i++) store.save(`x${i}`, big, 60_000)
        expect(store.stats()).toEqual({ sessions: 10, bytes: 10_000, evictions: 49, expirations: 0 })
        expect(kept(store, ['r0', 'r1', 'r8', 'x48', 'x49'])).toEqual(['r1', 'r8', 'x48', 'x49'])
        store.close()
    })

    test('counts every byte back out: deletes, expiry, eviction and overwrites leave the sum of what is kept', async () => {
        let now = 0
        let seed = 7
        const random = (below: number) => {
            seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
            return Math.floor((seed / 2 ** 31) * below) // the high bits: the low ones of this generator cycle
        }
        const store = memoryStore({ maxSessions: 40, maxBytes: 30_000, now: () => now })
        const records = new Map<string, string>()
        for (let step = 0; step < 5_000; step++) {
            const id = `s${random(80)}`
            const action = random(10)
            now += random(50)
            if (action < 5) {
                const record = `${(random(2) ? 'é' : 'x').repeat(random(1_500))}${random(2) ? '😀' : ''}`
                store.save(id, record, 1_000 + random(5_000))
                records.set(id, record)
            } else if (action < 8) store.load(id, 1_000 + random(5_000))
            else store.delete(id)
            const { sessions, bytes = Number.NaN } = await store.stats()
            expect(sessions).toBeLessThanOrEqual(40)
            // No record here takes a fifth of maxBytes, so the limit holds after every step.
            expect(bytes).toBeLessThanOrEqual(30_000)
        }
        // Loading drops what expired unswept, which the count still holds until then.
        const present = [...records.keys()].filter((id) => store.load(id, 60_000) !== undefined)
        const { bytes, evictions, expirations } = await store.stats()
        expect(Math.min(evictions, expirations)).toBeGreaterThan(20)
        expect(present.length).toBeGreaterThan(10)
        expect(bytes).toBe(present.reduce((sum, id) => sum + cost(records.get(id) ?? ''), 0))
        store.close()
    })

    test('a record lives its ttl from its last load or save, and is gone at exactly its end', () => {
        let now = Date.UTC(2026, 0, 1)
        const store = memoryStore({ now: () => now })
        store.save('a', '"a"', 1_000)
        store.save('b', '"b"', 1_000)
        now += 900
        store.save('b', '"b2"', 1_000)
        now += 100
        expect(store.load('a', 1_000)).toBeUndefined()
        now += 500
        expect(store.load('b', 1_000)).toBe('"b2"')
        store.close()
    })

    test('sweeps expired sessions on a timer', async () => {
        const clock = manualClock()
        const store = memoryStore({ now: clock.now, sweepInterval: 10 })
        const app = stateApp({ store, now: clock.now, idleTimeout: 60 })
        await client(app).post('/increment')
        await client(app).post('/increment')
        expect(await store.stats()).toMatchObject({ sessions: 2 })
        clock.advance(61)
        await Bun.sleep(50)
        expect(await store.stats()).toEqual({ sessions: 0, bytes: 0, evictions: 0, expirations: 2 })
        store.close()
    })

    test('cookieless requests and page loads allocate nothing', async () => {
        const store = memoryStore()
        const app = stateApp({ store })
        for (let i = 0; i < 500; i++) {
            await app.handle(new Request('http://localhost/count'))
            await app.handle(new Request('http://localhost/state', { headers: NAVIGATE }))
        }
        expect((await store.stats()).sessions).toBe(0)
        await client(app).post('/increment')
        expect((await store.stats()).sessions).toBe(1)
    })

    test('is closed when the app stops', async () => {
        let closed = 0
        const inner = memoryStore()
        const close = () => {
            closed++
            return inner.close()
        }
        const app = stateApp({ store: { ...inner, close } })
        app.listen({ port: 0, hostname: '127.0.0.1' })
        await app.stop()
        expect(closed).toBe(1)
    })
})
