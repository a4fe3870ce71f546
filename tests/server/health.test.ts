import { afterEach, expect, setSystemTime, spyOn, test } from 'bun:test'
import { memoryStore } from '../../plugins/scoped-state'
import { createApp } from '../../server/app'
import { healthRoutes } from '../../server/routes/health'
import { testApp } from '../helpers/app'
import { client, sessionIdOf } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'
import { SECRET } from '../helpers/plugin-app'
import { unreachableRedisStore } from '../helpers/redis'

test('/healthz reports the store counters as JSON', async () => {
    const store = memoryStore({ maxSessions: 1 })
    const app = testApp({ store })
    await client(app).post('/api/increment')
    await client(app).post('/api/increment')
    const response = await app.handle(new Request('http://localhost/healthz'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('application/json')
    expect(await response.json()).toEqual({
        status: 'ok',
        sessions: { sessions: 1, bytes: (await store.stats()).bytes, evictions: 1, expirations: 0 }
    })
})

test('/healthz answers at its own address only: a proxy hiding it there (docs/deployment.md) lets /healthz/ through', async () => {
    const app = testApp()
    await client(app).post('/api/increment')
    for (const path of ['/healthz/', '/healthz/.']) {
        const response = await app.handle(new Request(`http://localhost${path}`))
        expect(response.status).toBe(404)
        expect(await response.text()).not.toContain('sessions')
    }
})

test('/healthz answers 503 when the store is down', async () => {
    const down = await unreachableRedisStore()
    try {
        const response = await testApp({ store: down }).handle(new Request('http://localhost/healthz'))
        expect(response.status).toBe(503)
        expect(await response.json()).toEqual({ status: 'store unavailable' })
    } finally {
        down.close()
    }
})

test('/healthz asks the store at most once per 5 s: polled in a loop, a costly count cannot stall the app', async () => {
    let now = 1_000_000
    const store = memoryStore({ now: () => now })
    const stats = spyOn(store, 'stats')
    const app = testApp({ store, now: () => now })
    const sessions = async () => (await (await app.handle(new Request('http://localhost/healthz'))).json()).sessions
    expect(await sessions()).toEqual({ sessions: 0, bytes: 0, evictions: 0, expirations: 0 })
    await client(app).post('/api/increment')
    now += 4_999
    for (const answer of await Promise.all([sessions(), sessions(), sessions()]))
        expect(answer).toEqual({ sessions: 0, bytes: 0, evictions: 0, expirations: 0 })
    expect(stats).toHaveBeenCalledTimes(1)
    now += 1
    expect(await sessions()).toMatchObject({ sessions: 1, evictions: 0, expirations: 0 })
    expect(stats).toHaveBeenCalledTimes(2)
})

afterEach(() => void setSystemTime())

test('/healthz times its reuse on a monotonic clock: a step of the wall clock does not end it', async () => {
    const store = memoryStore()
    const stats = spyOn(store, 'stats')
    const app = testApp({ store })
    const health = () => app.handle(new Request('http://localhost/healthz'))
    expect((await health()).status).toBe(200)
    // A step forward would end the reuse early; a step back (the harm) would stretch it until the clock caught up.
    setSystemTime(Date.now() + 3_600_000)
    expect((await health()).status).toBe(200)
    expect(stats).toHaveBeenCalledTimes(1)
})

test('/healthz answers 503 for 5 s after a request failed because the store did, though its counts still come', async () => {
    let now = 1_000_000
    // Reads work, writes fail: a full disk.
    const store = flakyStore()
    const app = testApp({ store, now: () => now })
    const health = async () => {
        const response = await app.handle(new Request('http://localhost/healthz'))
        return [response.status, (await response.json()).status]
    }
    const user = client(app)
    await user.post('/api/increment')
    expect(await health()).toEqual([200, 'ok'])
    store.failing = true
    expect((await user.post('/api/increment')).status).toBe(503)
    expect(await health()).toEqual([503, 'store failing requests'])
    now += 4_999
    expect(await health()).toEqual([503, 'store failing requests'])
    now += 1
    expect(await health()).toEqual([200, 'ok'])
    // A clock stepped back does not bring the window back, nor stretch it.
    expect((await user.post('/api/increment')).status).toBe(503)
    now -= 3_600_000
    expect(await health()).toEqual([200, 'ok'])
})

test('/healthz stays ready when one session was held too long elsewhere: the store answers', async () => {
    const busy = flakyStore({ busy: true })
    busy.failing = true
    const app = testApp({ store: busy })
    expect((await client(app).post('/api/increment')).status).toBe(503)
    expect((await app.handle(new Request('http://localhost/healthz'))).status).toBe(200)
})

test('/healthz stays ready while the 503s are state saved by a newer version: the store is fine', async () => {
    const store = memoryStore()
    const app = testApp({ store })
    const user = client(app)
    await user.post('/api/increment')
    store.save(sessionIdOf(user.cookie), JSON.stringify({ v: 2, s: {}, p: {} }), 60_000)
    expect((await user.post('/api/increment')).status).toBe(503)
    expect((await app.handle(new Request('http://localhost/healthz'))).status).toBe(200)
})

test('a check the store cannot answer tells why, once per answer reused', async () => {
    const down = await unreachableRedisStore()
    let now = 1_000_000
    const reasons: Error[] = []
    try {
        const app = healthRoutes(down, { now: () => now, report: (error) => reasons.push(error) })
        const check = async () => (await app.handle(new Request('http://localhost/healthz'))).status
        for (let i = 0; i < 3; i++) expect(await check()).toBe(503)
        expect(reasons.map(String)).toEqual([
            expect.stringMatching(/^StoreUnavailableError: Session store unavailable: Redis: /)
        ])
        now += 5_000
        expect(await check()).toBe(503)
        expect(reasons).toHaveLength(2)
    } finally {
        down.close()
    }
})

test('the app sends that reason to its log of 503s', async () => {
    const down = await unreachableRedisStore()
    const warnings: string[] = []
    try {
        const app = createApp({ state: { secret: SECRET, store: down }, warn: (line) => warnings.push(line) })
        expect((await app.handle(new Request('http://localhost/healthz'))).status).toBe(503)
        expect(warnings).toEqual([expect.stringMatching(/^Session store unavailable: Redis: .* \(further ones/)])
    } finally {
        down.close()
    }
})
