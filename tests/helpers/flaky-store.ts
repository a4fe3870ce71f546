/**
 * The memory store with writes that fail while `failing` holds, as on a full disk or
 * during a store outage: reads still work. With `unanswered`, they fail like a Redis
 * that took the command and did not answer in time.
 *
 * @example
 * const store = flakyStore()
 * store.failing = true
 */
import { memoryStore, StoreUnavailableError } from '../../plugins/scoped-state'

export const flakyStore = ({ unanswered = false } = {}) => {
    const inner = memoryStore()
    const check = () => {
        if (flaky.failing) throw new StoreUnavailableError('disk full', { unanswered })
    }
    const flaky = {
        ...inner,
        failing: false,
        save(id: string, record: string, ttlMs: number) {
            check()
            return inner.save(id, record, ttlMs)
        },
        delete(id: string) {
            check()
            return inner.delete(id)
        }
    }
    return flaky
}
