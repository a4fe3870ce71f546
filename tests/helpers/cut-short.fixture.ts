/**
 * A test run cut short, for dies-with-tests.test.ts: it starts a redis-server and an app
 * server, prints where they listen, and fails before disposing of either.
 */
import { expect, test } from 'bun:test'
import { startRedis } from './redis'
import { startServer } from './server'

test('starts a redis-server and an app server, then fails', async () => {
    const redis = await startRedis()
    const server = await startServer()
    console.log(`listening: ${redis.url} ${server.url}`)
    expect('cut short').toBe('disposed')
}, 30_000)
