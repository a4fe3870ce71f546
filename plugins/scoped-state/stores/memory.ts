/**
 * The default store: sessions in this process's memory, lost on restart, bounded by count and
 * by bytes, evicted in a segmented least-recently-used order so that one-request visitors push
 * out only each other.
 */
import type { Store, StoreStats } from '../store.js'
import { timerDelay, wholeNumber } from '../whole-number.js'
import { expiryListener, type OnExpire } from './expiry-listener.js'

export interface MemoryStoreOptions {
    /**
     * Most sessions kept at once. Past it, the least recently used of the sessions that
     * have not come back since their first write is evicted. Returning sessions are spared
     * up to four fifths of `maxSessions` (past that, the least recently used rejoin the
     * others), so a flood of one-request sessions cannot push out returning users.
     * @default 100_000
     */
    maxSessions?: number | undefined
    /**
     * Most memory the sessions may take, in bytes, counted as `SESSION_BYTES` (256) per
     * session plus its record's length, twice that when the record holds a character past
     * ASCII (JavaScriptCore then keeps it at two bytes a character). Past it, sessions are
     * evicted in the same order as past `maxSessions`, returning ones spared up to four
     * fifths of it. The count alone bounds memory only by `maxSessions × maxStateBytes`
     * (plugin option). At the default, with records of 2 KB, RSS grew by 82–83 MB (ASCII;
     * emoji; CJK; ASCII with one emoji) or 44 MB (accents only): leave a quarter more room.
     * @default 67_108_864 (64 MiB)
     */
    maxBytes?: number | undefined
    /**
     * Called for each session evicted to stay within `maxSessions` or `maxBytes` (not for
     * expiry), whose user starts over: a store at its limits loses state without a trace
     * unless someone is told. It names no session: `onExpire` does. @default nothing
     */
    onEvict?: (() => void) | undefined
    /**
     * Called with the id of each session the store dropped on its own, once its record is gone:
     * `'expired'` when its TTL passed (met by a `load`, or by the sweep, up to `sweepInterval`
     * later), `'evicted'` past `maxSessions` or `maxBytes` (before `onEvict`). Not for the
     * deletes the plugin asks for (login, logout, `endScopedSession`). For what the app keeps for
     * a session outside its state (a file, a hold on stock). Called in the sweep, or in the request
     * that met it: keep it short. A throw is logged once, and the store goes on.
     * @default nothing
     */
    onExpire?: OnExpire | undefined
    /**
     * How often expired sessions are swept, in milliseconds. The timer is unref'd
     * and stops with `close()` (the plugin closes its store when the app stops).
     * @default 60_000
     */
    sweepInterval?: number | undefined
    /**
     * Clock in milliseconds, for tests. Monotonic by default: entries never leave the
     * process, and on a wall clock set back (a server that started with a wrong one) they
     * would outlive their TTL by as much.
     * @default performance.now
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
    /** Loaded or saved again after its first write: linked into the returning users' ring. */
    declare returned: boolean

    constructor(
        public id: string,
        public record: string,
        public expires: number,
        /** What it counts against `maxBytes`. */
        public bytes: number
    ) {
        this.older = this
        this.newer = this
        this.returned = false
    }
}

/**
 * What a session costs besides its record, for `maxBytes`: its id, its entry and its `Map`
 * slot, rounded up from 223 B of RSS measured per session holding 39 bytes (262 B in all).
 */
export const SESSION_BYTES = 256

/**
 * What a session holding `record` counts against `maxBytes`. JavaScriptCore keeps a string at
 * one byte a character while all its characters are Latin-1, else at two: a record with a
 * single emoji or CJK character takes twice its length. Counted as two for any character
 * past ASCII, which overcounts only text with accents and no such character.
 */
const sessionBytes = (record: string) =>
    SESSION_BYTES + (Buffer.byteLength(record) === record.length ? record.length : 2 * record.length)

/** A ring of entries in least-recently-used order: `anchor.older` is the newest, `anchor.newer` the oldest. */
const ring = () => new Entry('', '', 0, 0)

const unlink = (entry: Entry) => {
    entry.older.newer = entry.newer
    entry.newer.older = entry.older
}

/** Moves `entry` (or links a new one, which points at itself) to the newest end of `anchor`'s ring. */
const makeNewest = (entry: Entry, anchor: Entry) => {
    unlink(entry)
    entry.older = anchor.older
    entry.newer = anchor
    anchor.older.newer = entry
    anchor.older = entry
}

/**
 * The default store: a `Map` in this process, in least-recently-used order, kept as two
 * rings (a segmented LRU). A session enters the first ring when it is first written and
 * moves to the second when it comes back; past `maxSessions` or `maxBytes`, eviction takes
 * the first ring's oldest. So sessions that never return (a flood of form posts without a
 * cookie) only push out each other. The second ring holds at most four fifths of both
 * limits; past that its oldest moves back to the first.
 * State is lost on restart and not shared between processes; use the SQLite or
 * Redis store for that.
 *
 * @example
 * scopedState(setup, { store: memoryStore({ maxSessions: 10_000 }) })
 */
export const memoryStore = (options: MemoryStoreOptions = {}): Store => {
    const { now = () => performance.now(), onEvict = () => {} } = options
    const onExpire = expiryListener('memoryStore', options.onExpire)
    const maxSessions = wholeNumber('memoryStore', 'maxSessions', options.maxSessions ?? 100_000, {
        unit: 'sessions',
        min: 1
    })
    const maxBytes = wholeNumber('memoryStore', 'maxBytes', options.maxBytes ?? 64 * 1024 * 1024, {
        unit: 'bytes',
        min: SESSION_BYTES
    })
    const sweepInterval = timerDelay('memoryStore', 'sweepInterval', options.sweepInterval ?? 60_000)
    const maxReturned = Math.floor(maxSessions * 0.8)
    const maxReturnedBytes = Math.floor(maxBytes * 0.8)
    const entries = new Map<string, Entry>()
    const firstWrites = ring()
    const returning = ring()
    let returned = 0
    let returnedBytes = 0
    let bytes = 0
    let evictions = 0
    let expirations = 0

    /** A session used again: the newest of the returning ring, whose oldest may step back. */
    const touch = (entry: Entry) => {
        if (!entry.returned) {
            entry.returned = true
            returned++
            returnedBytes += entry.bytes
        }
        makeNewest(entry, returning)
        while (returned > maxReturned || returnedBytes > maxReturnedBytes) {
            const oldest = returning.newer
            oldest.returned = false
            returned--
            returnedBytes -= oldest.bytes
            makeNewest(oldest, firstWrites)
        }
    }
    const resize = (entry: Entry, record: string) => {
        const change = sessionBytes(record) - entry.bytes
        entry.record = record
        entry.bytes += change
        bytes += change
        if (entry.returned) returnedBytes += change
    }
    const remove = (entry: Entry) => {
        unlink(entry)
        if (entry.returned) {
            returned--
            returnedBytes -= entry.bytes
        }
        bytes -= entry.bytes
        entries.delete(entry.id)
    }
    /**
     * Evicts the oldest sessions that never came back until both limits hold, never `kept`,
     * the one just written: a record larger than a fifth of `maxBytes` overruns it by itself.
     */
    const evict = (kept: Entry) => {
        let evicted = 0
        // Only with a listener: every save comes here.
        let evictedIds: string[] | undefined
        while (entries.size > maxSessions || bytes > maxBytes) {
            const oldest = firstWrites.newer
            if (oldest === kept || oldest === firstWrites) break
            remove(oldest)
            evictions++
            evicted++
            if (onExpire) {
                evictedIds ??= []
                evictedIds.push(oldest.id)
            }
        }
        // Told once the store is within its limits again: a callback that throws leaves it whole.
        if (evictedIds) for (const id of evictedIds) onExpire?.(id, 'evicted')
        for (; evicted > 0; evicted--) onEvict()
    }

    const sweep = () => {
        const time = now()
        const expired: string[] = []
        for (const entry of entries.values())
            if (entry.expires <= time) {
                remove(entry)
                expirations++
                if (onExpire) expired.push(entry.id)
            }
        if (onExpire) for (const id of expired) onExpire(id, 'expired')
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
                onExpire?.(id, 'expired')
                return undefined
            }
            entry.expires = time + ttlMs
            touch(entry)
            return entry.record
        },
        save(id, record, ttlMs) {
            const expires = now() + ttlMs
            const entry = entries.get(id)
            if (entry) {
                resize(entry, record)
                entry.expires = expires
                touch(entry)
                evict(entry)
                return
            }
            const created = new Entry(id, record, expires, 0)
            entries.set(id, created)
            makeNewest(created, firstWrites)
            resize(created, record)
            evict(created)
        },
        // Neither `touch` nor a removal: a read for the app is no use of the session.
        peek(id) {
            const entry = entries.get(id)
            return entry && entry.expires > now() ? entry.record : undefined
        },
        release() {},
        delete(id) {
            const entry = entries.get(id)
            if (entry) remove(entry)
        },
        stats(): StoreStats {
            return { sessions: entries.size, bytes, evictions, expirations }
        },
        close() {
            clearInterval(timer)
            entries.clear()
            for (const anchor of [firstWrites, returning]) {
                anchor.older = anchor
                anchor.newer = anchor
            }
            returned = 0
            returnedBytes = 0
            bytes = 0
        }
    }
}
