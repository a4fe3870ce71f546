/**
 * A test run cut short, for dies-with-tests.test.ts: it starts a redis-server, an app server
 * and a watched command (as a test of `bun --hot` does), prints where they listen, and fails
 * before disposing of any.
 */
import { expect, test } from 'bun:test'
import { startRedis } from './redis'
import { spawnWatched, startServer } from './server'

const LISTEN = "console.log('at ' + Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() }).url)"

test('starts a redis-server, an app server and a watched command, then fails', async () => {
    const redis = await startRedis()
    const server = await startServer()
    const watched = spawnWatched([process.execPath, '-e', LISTEN], { cwd: import.meta.dir, env: {} })
    await watched.waitFor((output) => output.includes('at '), 'the watched command listening')
    const [, watchedUrl] = /at (\S+)/.exec(watched.output()) ?? []
    console.log(`listening: ${redis.url} ${server.url} ${watchedUrl}`)
    expect('cut short').toBe('disposed')
}, 30_000)
