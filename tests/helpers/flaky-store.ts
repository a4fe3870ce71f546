/**
 * The memory store with writes that fail while `failing` holds, as on a full disk or
 * during a store outage: reads still work. With `unanswered`, they fail like a Redis
 * that took the command and did not answer in time; with `busy`, like a session whose lock
 * another request held too long. `failingDeletes` fails deletes alone,
 * `failingLoads` loads alone.
 *
 * @example
 * const store = flakyStore()
 * store.failing = true
 */
import { memoryStore, StoreUnavailableError } from '../../plugins/scoped-state'

export const flakyStore = ({ unanswered = false, busy = false } = {}) => {
    const inner = memoryStore()
    const check = (failing: boolean) => {
        if (failing) throw new StoreUnavailableError(busy ? 'the session is locked' : 'disk full', { unanswered, busy })
    }
    const flaky = {
        ...inner,
        failing: false,
        failingDeletes: false,
        failingLoads: false,
        load(id: string, ttlMs: number) {
            check(flaky.failingLoads)
            return inner.load(id, ttlMs)
        },
        save(id: string, record: string, ttlMs: number) {
            check(flaky.failing)
            return inner.save(id, record, ttlMs)
        },
        delete(id: string, ttl?: number, ago?: number) {
            check(flaky.failing || flaky.failingDeletes)
            return inner.delete(id, ttl, ago)
        }
    }
    return flaky
}
