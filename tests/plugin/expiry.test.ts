/** Idle and absolute timeouts and the cookie refresh, on an injected clock. */
import { describe, expect, test } from 'bun:test'
import { memoryStore, ScopedStateSetupError, type Store } from '../../plugins/scoped-state'
import { client, maxAgeOf, sessionIdOf } from '../helpers/client'
import { manualClock, stateApp } from '../helpers/plugin-app'

const HOUR = 3600
const DAY = 24 * HOUR

const setup = (options: { idleTimeout?: number; absoluteTimeout?: number; refreshAfter?: number } = {}) => {
    const clock = manualClock()
    const app = stateApp({ now: clock.now, store: memoryStore({ now: clock.now }), ...options })
    return { clock, app, user: client(app) }
}

const maxAge = (response: Response) => Number(maxAgeOf(response))

describe('expiry', () => {
    test('a session idle longer than idleTimeout is treated as new', async () => {
        const { clock, user } = setup({ idleTimeout: DAY })
        await user.post('/increment')
        clock.advance(DAY - 1)
        expect(await user.text('/count')).toBe('1')
        clock.advance(DAY)
        const response = await user.get('/count')
        expect(await response.text()).toBe('0')
        expect(response.headers.get('set-cookie')).not.toBeNull()
    })

    test('activity keeps a session alive past idleTimeout', async () => {
        const { clock, user } = setup({ idleTimeout: DAY, refreshAfter: HOUR })
        await user.post('/increment')
        for (let i = 0; i < 5; i++) {
            clock.advance(DAY / 2)
            expect(await user.text('/count')).toBe('1')
        }
    })

    test('with a short idleTimeout, the cookie is re-sent often enough that an active session never expires', async () => {
        const { clock, user } = setup({ idleTimeout: HOUR / 2 })
        for (let count = 1; count <= 18; count++) {
            expect(await (await user.post('/increment')).text()).toBe(String(count))
            clock.advance(HOUR / 6)
        }
    })

    test('a refreshAfter not shorter than idleTimeout stops the plugin at creation', () => {
        expect(() => setup({ idleTimeout: HOUR, refreshAfter: HOUR })).toThrow(
            new ScopedStateSetupError(
                'scopedState: refreshAfter (3600 s) must be shorter than idleTimeout (3600 s): the idle clock ' +
                    'restarts only when the cookie is re-sent, so active sessions would expire.'
            )
        )
    })

    test('a session older than absoluteTimeout ends however active it is', async () => {
        const { clock, user } = setup({ idleTimeout: DAY, absoluteTimeout: 3 * DAY, refreshAfter: HOUR })
        await user.post('/increment')
        for (let i = 0; i < 5; i++) {
            clock.advance(DAY / 2)
            await user.get('/count')
        }
        clock.advance(DAY / 2 - 1)
        expect(await user.text('/count')).toBe('1')
        clock.advance(1)
        expect(await user.text('/count')).toBe('0')
    })

    test('the cookie is re-sent only past refreshAfter, with Max-Age capped by the absolute timeout', async () => {
        const { clock, user } = setup({ idleTimeout: DAY, absoluteTimeout: DAY + 2 * HOUR, refreshAfter: HOUR })
        expect(maxAge(await user.post('/increment'))).toBe(DAY)
        clock.advance(HOUR - 1)
        expect((await user.get('/count')).headers.get('set-cookie')).toBeNull()
        clock.advance(1)
        expect(maxAge(await user.get('/count'))).toBe(DAY)
        clock.advance(2 * HOUR)
        // Created 3 hours ago: only DAY - 1 hour of its absolute lifetime is left.
        expect(maxAge(await user.get('/count'))).toBe(DAY - HOUR)
        expect(await user.text('/count')).toBe('1')
    })

    test('a clock set back (a server that started with a wrong one): the cookie is re-sent, and the session ends in time', async () => {
        const { clock, user } = setup()
        clock.advance(365 * DAY)
        await user.post('/increment')
        const before = user.cookie
        clock.advance(-365 * DAY)
        // Issued a year ahead, the cookie would not be refreshed for a year, and the browser drops it after its 7 days.
        const corrected = await user.get('/count')
        expect(maxAge(corrected)).toBe(7 * DAY)
        expect(sessionIdOf(user.cookie)).toBe(sessionIdOf(before))
        expect(await corrected.text()).toBe('1')
        // Used daily, it lives its 30 days from the correction, not from a year ahead.
        for (let day = 1; day < 30; day++) {
            clock.advance(DAY)
            expect(await user.text('/count')).toBe('1')
        }
        clock.advance(DAY)
        expect(await user.text('/count')).toBe('0')
        expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(before))
    })

    test('a cookie issued ahead is sent again past refreshAfter, or past where the browser would drop it first', async () => {
        for (const [ahead, resent, refreshAfter] of [
            [30, false, 3 * 60],
            [3 * 60, false, 3 * 60],
            [3 * 60 + 1, true, 3 * 60],
            // Dropped idleTimeout (30 minutes) after it came, refreshed refreshAfter after it says it was issued.
            [10 * 60, false, 20 * 60],
            [10 * 60 + 1, true, 20 * 60]
        ] as const) {
            const { clock, user } = setup({ idleTimeout: HOUR / 2, refreshAfter })
            clock.advance(ahead)
            await user.post('/increment')
            clock.advance(-ahead)
            expect((await user.get('/count')).headers.has('set-cookie')).toBe(resent)
        }
    })

    test('an instance whose clock is behind does not re-sign the cookie with it: the others count idleTimeout in full', async () => {
        let real = Date.UTC(2026, 0, 1)
        const store = memoryStore({ now: () => real })
        const options = { store, idleTimeout: HOUR / 2, refreshAfter: HOUR / 20 }
        const right = stateApp({ ...options, now: () => real })
        // Behind by less than refreshAfter (3 minutes).
        const behind = stateApp({ ...options, now: () => real - 2.5 * 60_000 })
        const onRight = client(right)
        await onRight.post('/increment')
        real += 60_000
        // The browser keeps whatever cookie each instance sends.
        const onBehind = client(behind, onRight.cookie)
        expect(await onBehind.text('/count')).toBe('1')
        // 29.5 minutes after the cookie was issued: inside the 30 minutes, unless re-signed 2.5 minutes behind.
        real += 28.5 * 60_000
        expect(await client(right, onBehind.cookie).text('/count')).toBe('1')
    })

    /** A second write at the moment the session expires: a new id, sent to live, and the write kept. */
    const expectNewSession = async (user: ReturnType<typeof setup>['user'], before: string) => {
        const response = await user.post('/increment')
        expect(await response.text()).toBe('1')
        expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(before))
        expect(maxAge(response)).toBeGreaterThan(0)
        expect(await user.text('/count')).toBe('1')
    }

    test('at exactly idleTimeout the id is new, and its writes are kept', async () => {
        const { clock, user } = setup({ idleTimeout: DAY })
        await user.post('/increment')
        const before = user.cookie
        clock.advance(DAY)
        await expectNewSession(user, before)
    })

    test('at exactly absoluteTimeout, however active, the id is new, and its writes are kept', async () => {
        const { clock, user } = setup({ idleTimeout: DAY, absoluteTimeout: 2 * DAY })
        await user.post('/increment')
        const before = user.cookie
        clock.advance(DAY - 10)
        await user.get('/count')
        clock.advance(DAY - 10)
        await user.get('/count')
        clock.advance(20)
        await expectNewSession(user, before)
    })

    test('a request that runs past absoluteTimeout gives the store a ttl of 1 ms, not 0 or less', async () => {
        // A store of an app's own passes it on: Redis refuses `SET … PX 0` ("invalid expire time").
        // This one keeps the record past its ttl, as SQLite's may, for up to a tenth more.
        const clock = manualClock()
        const inner = memoryStore()
        const ttls: number[] = []
        const store: Store = {
            ...inner,
            load: (id, ttl) => {
                ttls.push(ttl)
                return inner.load(id, ttl)
            },
            save: (id, record, ttl) => {
                ttls.push(ttl)
                return inner.save(id, record, ttl)
            }
        }
        const app = stateApp({ now: clock.now, store, idleTimeout: HOUR, absoluteTimeout: HOUR }).post(
            '/slow-increment',
            ({ scopedStore }) => {
                clock.advance(2)
                return ++scopedStore.count
            }
        )
        const user = client(app)
        await user.post('/increment')
        clock.advance(HOUR - 1)
        ttls.length = 0
        const late = await user.post('/slow-increment')
        expect(late.status).toBe(200)
        // The load that began the request, with a second left; then the commit's load and save.
        expect(ttls).toEqual([1000, 1, 1])
    })
})
