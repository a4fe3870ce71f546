import type { Store, StoreStats } from '../store'

export interface MemoryStoreOptions {
    /**
     * Most sessions kept at once; past it the least recently used one is evicted.
     * Memory is bounded by `maxSessions × maxStateBytes` (plugin option).
     * @default 100_000
     */
    maxSessions?: number | undefined
    /**
     * How often expired sessions are swept, in milliseconds. The timer is unref'd
     * and stops with `close()` (the plugin closes its store when the app stops).
     * @default 60_000
     */
    sweepInterval?: number | undefined
    /**
     * Clock, for tests.
     * @default Date.now
     */
    now?: (() => number) | undefined
}

/**
 * A session's record, linked into the least-recently-used order. A `Map` alone can keep
 * that order, but JavaScriptCore makes it slow: moving an entry costs a delete and an
 * insert, and every deleted entry at the front is skipped again by each `keys().next()`
 * that looks for the oldest one (about 70 µs per eviction at 100 000 sessions).
 */
class Entry {
    declare older: Entry
    declare newer: Entry

    constructor(
        public id: string,
        public record: string,
        public expires: number
    ) {
        this.older = this
        this.newer = this
    }
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
    /** The ring's anchor: `newest.older` is the newest entry, `newest.newer` the oldest. */
    const newest = new Entry('', '', 0)
    let evictions = 0
    let expirations = 0

    const unlink = (entry: Entry) => {
        entry.older.newer = entry.newer
        entry.newer.older = entry.older
    }
    /** Moves `entry` (or links a new one, which points at itself) to the newest end. */
    const makeNewest = (entry: Entry) => {
        unlink(entry)
        entry.older = newest.older
        entry.newer = newest
        newest.older.newer = entry
        newest.older = entry
    }
    const remove = (entry: Entry) => {
        unlink(entry)
        entries.delete(entry.id)
    }

    const sweep = () => {
        const time = now()
        for (const entry of entries.values())
            if (entry.expires <= time) {
                remove(entry)
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
            const time = now()
            if (entry.expires <= time) {
                remove(entry)
                expirations++
                return undefined
            }
            entry.expires = time + ttlMs
            makeNewest(entry)
            return entry.record
        },
        save(id, record, ttlMs) {
            const expires = now() + ttlMs
            const entry = entries.get(id)
            if (entry) {
                entry.record = record
                entry.expires = expires
                makeNewest(entry)
                return
            }
            const created = new Entry(id, record, expires)
            entries.set(id, created)
            makeNewest(created)
            if (entries.size > maxSessions) {
                remove(newest.newer)
                evictions++
            }
        },
        release() {},
        delete(id) {
            const entry = entries.get(id)
            if (entry) remove(entry)
        },
        stats(): StoreStats {
            return { sessions: entries.size, evictions, expirations }
        },
        close() {
            clearInterval(timer)
            entries.clear()
            newest.older = newest
            newest.newer = newest
        }
    }
}
