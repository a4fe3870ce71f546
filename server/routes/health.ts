/** `GET /healthz`: liveness plus the session store's counters, as JSON. 503 when the store is down. */
import { Elysia } from 'elysia'
import type { Store } from '../../plugins/scoped-state'

export const healthRoutes = (store: Store) =>
    new Elysia({ name: 'health-routes' }).get('/healthz', async ({ set }) => {
        set.headers['cache-control'] = 'no-store'
        try {
            return { status: 'ok', sessions: await store.stats() }
        } catch {
            set.status = 503
            return { status: 'store unavailable' }
        }
    })
