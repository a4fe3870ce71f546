/**
 * Two real app processes sharing one redis-server, as behind a load balancer: one
 * user's requests alternate between them and see one state, and parallel writes of
 * one session are never lost.
 */
import { afterAll, expect } from 'bun:test'
import { countOf, setCookieOf } from '../../helpers/client'
import { SECRET } from '../../helpers/plugin-app'
import { redisTest, useRedis } from '../../helpers/redis'
import { type RunningServer, startServer } from '../../helpers/server'

const redis = useRedis()
const instances: RunningServer[] = []

const startInstances = async () => {
    if (instances.length > 0) return instances
    // One secret for both instances, so each accepts the other's cookies.
    const env = { NODE_ENV: 'test', SESSION_SECRET: SECRET, SCOPED_STATE_STORE: redis().url }
    instances.push(...(await Promise.all([startServer({ env }), startServer({ env })])))
    return instances
}

afterAll(async () => {
    for (const { child } of instances) {
        child.kill('SIGTERM')
        await child.exited
    }
})

const post = (server: RunningServer, cookie: string) =>
    fetch(`${server.url}/api/increment`, { method: 'POST', headers: { cookie } })
const count = async (server: RunningServer, cookie: string) =>
    countOf(await fetch(`${server.url}/api/count`, { headers: { cookie } }))

redisTest(
    'a user alternating between two instances sees one state',
    async () => {
        const [a, b] = await startInstances()
        if (!a || !b) throw new Error('instances did not start')
        const first = await fetch(`${a.url}/api/increment`, { method: 'POST' })
        const cookie = setCookieOf(first) ?? ''
        expect(await countOf(first)).toBe(1)
        expect(await countOf(await post(b, cookie))).toBe(2)
        expect(await countOf(await post(a, cookie))).toBe(3)
        expect(await count(b, cookie)).toBe(3)
        expect(await count(a, cookie)).toBe(3)
    },
    30_000
)

redisTest(
    '100 parallel increments of one session over two instances end at exactly 100',
    async () => {
        const [a, b] = await startInstances()
        if (!a || !b) throw new Error('instances did not start')
        const cookie = setCookieOf(await fetch(`${a.url}/api/count`)) ?? ''
        const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i % 2 ? b : a, cookie)))
        expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200))
        const counts = await Promise.all(responses.map(countOf))
        // Every increment saw a distinct count: none overwrote another.
        expect(new Set(counts).size).toBe(100)
        expect(await count(a, cookie)).toBe(100)
        expect(await count(b, cookie)).toBe(100)
    },
    60_000
)
