/**
 * The spec's counter API on scoped-state, with whichever store is benchmarked.
 *
 * @example
 * scopedApp(memoryStore()).listen({ port: 0, hostname: '127.0.0.1' })
 */
import { Elysia } from 'elysia'
import { type Store, scopedState } from '../../plugins/scoped-state'

/** A fixed secret: benchmarks never meet real users. */
export const BENCH_SECRET = 'bench-secret-'.padEnd(32, 'x')

export const scopedApp = (store: Store) =>
    new Elysia()
        .use(scopedState({ count: { value: 0 } }, { secret: BENCH_SECRET, store }))
        .get('/api/count', ({ scopedStore }) => `<span id="count">${scopedStore.count}</span>`)
        .post('/api/increment', ({ scopedStore }) => `<span id="count">${++scopedStore.count}</span>`)
