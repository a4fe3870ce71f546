/**
 * The contract between the plugin and a session store.
 *
 * A store keeps one serialized record (a JSON string) per session id. The plugin
 * calls `load` when a request of a returning session begins, then `save` when the state
 * changed. Stores shared by several processes (Redis) lock the session from `load` until
 * that `save`, or until `release` when nothing changed, so that concurrent requests never
 * overwrite each other; for those the plugin also serializes the requests of one session
 * inside a process (see locked-path.ts). With a synchronous store (and no `serializeRequests`)
 * nothing is locked or released: before a `save` the plugin loads the record once more
 * to see whether another request saved it meanwhile.
 */

/** A value or a promise of it: the memory store answers synchronously. */
export type MaybePromise<T> = T | Promise<T>

/** Counters a store reports, e.g. on a health route. */
export interface StoreStats {
    /** Sessions currently holding state. */
    sessions: number
    /** Memory they take, as the memory store counts it against its `maxBytes`; other stores leave it out. */
    bytes?: number
    /** Sessions dropped to stay under a size cap. */
    evictions: number
    /** Sessions removed because they idled out. */
    expirations: number
}

export interface Store {
    /**
     * The store answers every call without a promise (memory, SQLite). The plugin then
     * runs its hooks synchronously, which Elysia serves much faster, and needs no lock:
     * a request's load, handler and save cannot interleave with another's unless the
     * handler awaits, and then changes are merged key by key (`ScopedSession.rebase`).
     */
    readonly synchronous?: boolean
    /**
     * How long a request may hold a session while another request of it waits, in
     * milliseconds (when the plugin locks: asynchronous stores, `serializeRequests`). Past
     * it the waiting request goes on, and the late one's changes are refused with a 503;
     * a `save` or `delete` already called is waited for first, so that the next request loads
     * what it wrote. A store that locks gives its lock's lease, so that the plugin's lock in
     * each process lapses with it.
     * @default 10_000
     */
    readonly lockLease?: number
    /**
     * Reads the record of `id` (`undefined` when there is none) and extends its life to `ttlMs`.
     * A store shared by several processes may answer `SESSION_ENDED` for a session that a login
     * or logout in another one ended lately.
     */
    load(id: string, ttlMs: number): MaybePromise<string | undefined | typeof SESSION_ENDED>
    /** Replaces the record of `id`, keeps it for `ttlMs`, and ends the request's hold on it. */
    save(id: string, record: string, ttlMs: number): MaybePromise<void>
    /**
     * Ends the request's hold on `id` without writing. The plugin does not wait for it, and
     * lets the session's next request in right after the call: a store that locks must send
     * the unlock before it returns, or queue it ahead of any later call.
     */
    release(id: string): MaybePromise<void>
    /** Deletes the record of `id` (session destroyed or regenerated). */
    delete(id: string): MaybePromise<void>
    stats(): MaybePromise<StoreStats>
    /**
     * Frees timers and connections; the store is not used afterwards. The plugin calls it when
     * the app stops, and Elysia does not wait for it: a store that needs time (Redis waits for
     * the requests still running, then unlocks what they hold) returns a promise, the same one
     * on every call, so that the app can await `close()` before its process exits.
     */
    close(): MaybePromise<void>
}

/**
 * What `Store.load` answers for a session that another process ended lately (a login, a
 * logout): the plugin treats it as one it ended itself, so that a request still carrying its
 * id saves nothing, sends no cookie, and a second login from it answers 409.
 */
export const SESSION_ENDED: unique symbol = Symbol('scoped-state: session ended')

/** `Store.lockLease` when a store gives none. */
export const DEFAULT_LOCK_LEASE = 10_000

/** Why a request whose lock lapsed may not save. */
export const LOCK_LOST =
    'the session lock was lost before the request finished (its lease ran out, or the store dropped it); ' +
    'its changes were not saved'

/**
 * Thrown by a store that cannot be reached. The plugin answers 503 and writes nothing
 * more; `unanswered` says whether a write it sent may still be applied.
 */
export class StoreUnavailableError extends Error {
    readonly status = 503
    /**
     * The store got a save or a delete and gave no answer (Redis past `commandTimeout`, or its
     * connection lost): it may have been applied, or still be. Otherwise nothing was written.
     */
    readonly unanswered: boolean
    /**
     * One session was held past the wait for it (its lock taken by a request elsewhere that ran
     * long, or lapsed under this one): the store itself answers. A readiness check ignores it.
     */
    readonly busy: boolean

    constructor(reason: string, options?: { cause?: unknown; unanswered?: boolean; busy?: boolean }) {
        super(`Session store unavailable: ${reason}`, options)
        this.name = 'StoreUnavailableError'
        this.unanswered = options?.unanswered ?? false
        this.busy = options?.busy ?? false
    }

    /**
     * What a client gets when no error hook answers. A write that got no answer is not to be
     * retried blindly: a script obeying `Retry-After` would apply it twice.
     */
    toResponse() {
        const type = { 'content-type': 'text/plain; charset=utf-8' }
        if (this.unanswered)
            return new Response(
                'The session store did not answer in time: the change may or may not have been saved. Read the state before trying again.',
                { status: 503, headers: type }
            )
        const message = this.busy
            ? 'Another request of this session is still being handled, please retry in a moment.'
            : 'Session store unavailable, please retry in a moment.'
        return new Response(message, { status: 503, headers: { ...type, 'retry-after': '1' } })
    }
}
