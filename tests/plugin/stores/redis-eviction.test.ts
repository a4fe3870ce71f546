/**
 * A full Redis that evicts (docs/stores.md, "Which Redis": `volatile-lru`): the service goes on,
 * and a user whose record Redis dropped starts over cleanly. On a redis-server of its own, since
 * it shrinks its `maxmemory`.
 */
import { afterAll, expect } from 'bun:test'
import { RedisClient } from 'bun'
import { redisStore, type Store } from '../../../plugins/scoped-state'
import { client } from '../../helpers/client'
import { stateApp } from '../../helpers/plugin-app'
import { redisTest, useRedis } from '../../helpers/redis'

const redis = useRedis()
const stores: Store[] = []
afterAll(() => Promise.all(stores.map((store) => store.close())))

/** A field of Redis's `INFO`, as a number. */
const info = async (admin: RedisClient, section: string, field: string) =>
    Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(String(await admin.send('INFO', [section])))?.[1])

redisTest(
    'full under volatile-lru: requests go on (no 500), an evicted user starts over with nothing of another, stats count no eviction',
    async () => {
        const store = redisStore({ url: redis().url })
        stores.push(store)
        const app = stateApp({ store })
        const admin = new RedisClient(redis().url)
        await admin.send('CONFIG', ['SET', 'maxmemory-policy', 'volatile-lru'])
        // Room for a few thousand sessions: Redis took some 360 kB more at the store's first requests,
        // and with less room than that a volatile-* policy finds nothing to evict and refuses writes.
        await admin.send('CONFIG', [
            'SET',
            'maxmemory',
            String((await info(admin, 'memory', 'used_memory')) + 1_000_000)
        ])

        const users = Array.from({ length: 200 }, () => client(app))
        const statuses = new Set<number>()
        for (const [nth, user] of users.entries()) statuses.add((await user.post(`/tag/user-${nth}`)).status)
        // A flood of new sessions, each writing once, fills it and goes on.
        const flood = `/tag/${'flood'.repeat(100)}`
        for (let i = 0; i < 20_000 && (await info(admin, 'stats', 'evicted_keys')) < 1_000; i += 100)
            for (let j = 0; j < 100; j++) statuses.add((await client(app).post(flood)).status)
        expect(await info(admin, 'stats', 'evicted_keys')).toBeGreaterThanOrEqual(1_000)

        const tags: string[] = []
        for (const user of users) {
            const response = await user.get('/tags')
            statuses.add(response.status)
            tags.push(await response.text())
        }
        expect([...statuses].filter((status) => status !== 200 && status !== 503)).toEqual([])
        // Each has its own tag, or none: evicted, it reads the defaults.
        expect(tags.filter((tag, nth) => tag !== `user-${nth}` && tag !== '')).toEqual([])
        const evicted = tags.indexOf('')
        expect(evicted).not.toBe(-1)
        // And writes on: the service goes on for it.
        expect(await (await users[evicted]?.post('/tag/again'))?.text()).toBe('again')
        expect((await store.stats()).evictions).toBe(0)

        await admin.send('CONFIG', ['SET', 'maxmemory', '0'])
        admin.close()
    },
    60_000
)
