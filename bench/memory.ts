/**
 * Child process: RSS retained by the memory store, per request, after driving the
 * app through `app.handle` in a loop.
 *
 * - `sessions`: each request is a new visitor's `POST /api/increment`, so each one
 *   leaves a session holding `{ count: 1 }` in its default page scope;
 * - `visits`: each request is a cookieless `GET /api/count`, which must leave nothing.
 *
 * Prints `{"rss":…,"heap":…,"stored":…}`: RSS and JS heap bytes retained per request,
 * and how many sessions the store gained.
 *
 * @example
 * bun bench/memory.ts sessions 100000
 */
import { heapStats } from 'bun:jsc'
import { memoryStore } from '../plugins/scoped-state'
import { scopedApp } from './apps/scoped'

const [kind, countArgument = '100000'] = process.argv.slice(2)
if (kind !== 'sessions' && kind !== 'visits') throw new Error('usage: bun bench/memory.ts sessions|visits [count]')
const count = Number(countArgument)

const store = memoryStore({ maxSessions: count * 2 })
const app = scopedApp(store)
const request =
    kind === 'sessions'
        ? () => new Request('http://localhost/api/increment', { method: 'POST' })
        : () => new Request('http://localhost/api/count')

const drive = async (times: number) => {
    for (let i = 0; i < times; i++) {
        const response = await app.handle(request())
        if (response.status !== 200) throw new Error(`unexpected status ${response.status}`)
    }
}

/** Memory once garbage is collected, so only what is still referenced counts. */
const settled = async () => {
    Bun.gc(true)
    await Bun.sleep(50)
    Bun.gc(true)
    return { rss: process.memoryUsage().rss, heap: heapStats().heapSize, stored: store.stats() as { sessions: number } }
}

// Warm up the JIT, Elysia's compiled handlers and the allocator before measuring.
await drive(Math.max(5_000, count / 5))
const before = await settled()
await drive(count)
const after = await settled()

console.log(
    JSON.stringify({
        rss: (after.rss - before.rss) / count,
        heap: (after.heap - before.heap) / count,
        stored: after.stored.sessions - before.stored.sessions
    })
)
store.close()
