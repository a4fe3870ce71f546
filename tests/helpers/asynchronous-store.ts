/**
 * A store answering with promises, as a networked one does (a database driver, Redis), around
 * a synchronous one: the plugin then takes its locking path.
 *
 * @example
 * const store = asynchronous(memoryStore())
 */
import type { Store } from '../../plugins/scoped-state'

export const asynchronous = (inner: Store): Store => ({
    load: async (id, ttl) => inner.load(id, ttl),
    save: async (id, record, ttl) => inner.save(id, record, ttl),
    release: async (id) => inner.release(id),
    delete: async (id, ttl, ago) => inner.delete(id, ttl, ago),
    stats: async () => inner.stats(),
    close: async () => inner.close()
})
