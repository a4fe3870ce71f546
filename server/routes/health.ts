/**
 * `GET /healthz`: readiness (the session store answers) with its counters, as JSON. 503 when
 * the store is down, and for a while after a request failed because the store did.
 */
import { Elysia, NotFoundError } from 'elysia'
import type { Store, StoreStats } from '../../plugins/scoped-state'

/**
 * How long, in milliseconds, one answer of the store serves every check. The route is public,
 * and `stats()` may take time that grows with the sessions stored (SQLite counts its expiry
 * index: about 70 ms at a million rows, the whole process waiting): polled in a loop, it would
 * stall every other request.
 */
const REUSED_FOR = 5_000
/**
 * How long, in milliseconds, a request that failed because the store did keeps the check at 503:
 * a store that answers `stats()` may still refuse writes (a full disk, a lock held elsewhere).
 */
const FAILING_FOR = 5_000

export interface HealthOptions {
    /**
     * A monotonic clock in milliseconds: a wall clock set back an hour would serve one answer
     * (a 503 too) for that hour. @default performance.now
     */
    now?: () => number
    /**
     * When, on `now`'s clock, a request last failed because the store did; `undefined` if none has.
     * @default () => undefined
     */
    storeFailedAt?: () => number | undefined
    /** Hears why the store did not answer a check, once per answer reused. @default nothing */
    report?: (error: Error) => void
}

export const healthRoutes = (store: Store, options: HealthOptions = {}) => {
    const { now = () => performance.now(), storeFailedAt = () => undefined, report = () => {} } = options
    let last: { at: number; stats: Promise<StoreStats> } | undefined
    const stats = () => {
        const at = now()
        if (!last || at - last.at >= REUSED_FOR) {
            const asked = Promise.resolve().then(() => store.stats())
            asked.catch((error) => report(error instanceof Error ? error : new Error(String(error))))
            last = { at, stats: asked }
        }
        return last.stats
    }
    return new Elysia({ name: 'health-routes' }).get('/healthz', async ({ path, set }) => {
        // Elysia routes `/healthz/` here too, which a proxy that hides this route by its exact
        // path (docs/deployment.md's `location = /healthz`) passes on: it tells the counts there.
        if (path.endsWith('/')) throw new NotFoundError()
        let sessions: StoreStats
        try {
            sessions = await stats()
        } catch {
            set.status = 503
            return { status: 'store unavailable' }
        }
        // A clock stepped back (tests give a wall clock) must not stretch the window.
        const since = now() - (storeFailedAt() ?? Number.NEGATIVE_INFINITY)
        if (since >= 0 && since < FAILING_FOR) {
            set.status = 503
            return { status: 'store failing requests', sessions }
        }
        return { status: 'ok', sessions }
    })
}
