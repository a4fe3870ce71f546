/** The default store stays bounded: a session cap, a sweep, and no entry until state is written. */
import { describe, expect, test } from 'bun:test'
import { memoryStore, type Store } from '../../plugins/scoped-state'
import { client, NAVIGATE } from '../helpers/client'
import { manualClock, stateApp } from '../helpers/plugin-app'

/** Which of `ids` the store still holds (loading them, which counts as a use). */
const kept = (store: Store, ids: string[]) => ids.filter((id) => store.load(id, 60_000) !== undefined)

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
        expect(await store.stats()).toEqual({ sessions: 2, evictions: 1, expirations: 0 })
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
        expect(store.stats()).toEqual({ sessions: 3, evictions: 2, expirations: 0 })
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
        expect(await store.stats()).toEqual({ sessions: 20, evictions: 181, expirations: 0 })
        expect(await (await alice.post('/increment')).text()).toBe('3')
    })

    test('sessions that never came back are evicted first, oldest first', () => {
        const store = memoryStore({ maxSessions: 5 })
        for (const id of ['a', 'b', 'c']) {
            store.save(id, '1', 60_000)
            store.load(id, 60_000)
        }
        for (const id of ['x1', 'x2', 'x3', 'x4']) store.save(id, '1', 60_000)
        expect(store.stats()).toEqual({ sessions: 5, evictions: 2, expirations: 0 })
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
        expect(await store.stats()).toEqual({ sessions: 0, evictions: 0, expirations: 2 })
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
