import type { Store, StoreStats } from '../store'

export interface MemoryStoreOptions {
    /**
     * Most sessions kept at once; past it the least recently used one is evicted.
     * Memory is bounded by `maxSessions × maxStateBytes` (plugin option).
     * @default 100_000
     */
    maxSessions?: number
    /**
     * How often expired sessions are swept, in milliseconds. The timer is unref'd
     * and stops with `close()` (the plugin closes its store when the app stops).
     * @default 60_000
     */
    sweepInterval?: number
    /**
     * Clock, for tests.
     * @default Date.now
     */
    now?: () => number
}

class Entry {
    constructor(
        public record: string,
        public expires: number
    ) {}
}

/**
 * The default store: a `Map` in this process, in least-recently-used order.
 * State is lost on restart and not shared between processes; use the SQLite or
 * Redis store for that.
 *
 * @example
 * scopedState(setup, { store: memoryStore({ maxSessions: 10_000 }) })
 */
export const memoryStore = (options: MemoryStoreOptions = {}): Store => {
    const { maxSessions = 100_000, sweepInterval = 60_000, now = Date.now } = options
    const entries = new Map<string, Entry>()
    let evictions = 0
    let expirations = 0

    const sweep = () => {
        const time = now()
        for (const [id, entry] of entries)
            if (entry.expires <= time) {
                entries.delete(id)
                expirations++
            }
    }
    const timer = setInterval(sweep, sweepInterval)
    timer.unref()

    return {
        synchronous: true,
        load(id, ttlMs) {
            const entry = entries.get(id)
            if (!entry) return undefined
            entries.delete(id)
            const time = now()
            if (entry.expires <= time) {
                expirations++
                return undefined
            }
            entry.expires = time + ttlMs
            entries.set(id, entry)
            return entry.record
        },
        save(id, record, ttlMs) {
            entries.delete(id)
            entries.set(id, new Entry(record, now() + ttlMs))
            if (entries.size > maxSessions) {
                entries.delete(entries.keys().next().value as string)
                evictions++
            }
        },
        release() {},
        delete(id) {
            entries.delete(id)
        },
        stats(): StoreStats {
            return { sessions: entries.size, evictions, expirations }
        },
        close() {
            clearInterval(timer)
            entries.clear()
        }
    }
}
