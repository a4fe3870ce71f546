/**
 * The memory store with writes that fail while `failing` holds, as on a full disk or
 * during a store outage: reads still work.
 *
 * @example
 * const store = flakyStore()
 * store.failing = true
 */
import { memoryStore, StoreUnavailableError } from '../../plugins/scoped-state'

export const flakyStore = () => {
    const inner = memoryStore()
    const check = () => {
        if (flaky.failing) throw new StoreUnavailableError('disk full')
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
