import { expect, test } from 'bun:test'
import { memoryStore } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client } from '../helpers/client'
import { unreachableRedisStore } from '../helpers/redis'

test('/healthz reports the store counters as JSON', async () => {
    const app = testApp({ store: memoryStore({ maxSessions: 1 }) })
    await client(app).post('/api/increment')
    await client(app).post('/api/increment')
    const response = await app.handle(new Request('http://localhost/healthz'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('application/json')
    expect(await response.json()).toEqual({ status: 'ok', sessions: { sessions: 1, evictions: 1, expirations: 0 } })
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
