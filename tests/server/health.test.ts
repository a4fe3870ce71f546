import { afterEach, expect, setSystemTime, spyOn, test } from 'bun:test'
import { memoryStore } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client } from '../helpers/client'
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
