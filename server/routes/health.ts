/** `GET /healthz`: readiness (the session store answers) with its counters, as JSON. 503 when the store is down. */
import { Elysia } from 'elysia'
import type { Store, StoreStats } from '../../plugins/scoped-state'

/**
 * How long, in milliseconds, one answer of the store serves every check. The route is public,
 * and `stats()` may take time that grows with the sessions stored (SQLite counts its expiry
 * index: about 70 ms at a million rows, the whole process waiting): polled in a loop, it would
 * stall every other request.
 */
const REUSED_FOR = 5_000

/**
 * `now` is a monotonic clock in milliseconds unless a test gives its own: a wall clock set
 * back an hour would serve one answer (a 503 too) for that hour.
 */
export const healthRoutes = (store: Store, now: () => number = () => performance.now()) => {
    let last: { at: number; stats: Promise<StoreStats> } | undefined
    const stats = () => {
        const at = now()
        if (!last || at - last.at >= REUSED_FOR) last = { at, stats: Promise.resolve().then(() => store.stats()) }
        return last.stats
    }
    return new Elysia({ name: 'health-routes' }).get('/healthz', async ({ set }) => {
        set.headers['cache-control'] = 'no-store'
        try {
            return { status: 'ok', sessions: await stats() }
        } catch {
            set.status = 503
            return { status: 'store unavailable' }
        }
    })
}
