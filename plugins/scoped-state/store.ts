/**
 * The contract between the plugin and a session store.
 *
 * A store keeps one serialized record (a JSON string) per session id. The plugin
 * calls `load` when a request of a returning session begins, then `save` when the state
 * changed. Stores shared by several processes (Redis) lock the session from `load` until
 * that `save`, or until `release` when nothing changed, so that concurrent requests never
 * overwrite each other. With any asynchronous store, or `serializeRequests`, the plugin also
 * runs the requests of one session one at a time inside a process (see locked-path.ts). With
 * a synchronous store (and no `serializeRequests`) nothing is locked or released: before a
 * `save` the plugin loads the record once more to see whether another request saved it
 * meanwhile.
 *
 * A store of your own must also:
 * - Throw `StoreUnavailableError` (the driver's error as its `cause`, its reason in the message,
 *   which is what a log shows) when its backend fails: the request answers 503 with
 *   `Retry-After`. Any other error is a bug to Elysia, which answers 500 with the error's
 *   message in the body, production or not: a driver's message may name the database's host
 *   and user.
 * - Settle every call in time, with a timeout of its own well under `lockLease`: the plugin
 *   sets none, and a session's later requests in the process wait for a write in flight (for
 *   a lease more at most: then they go on, and a late save may be undone). A call that times
 *   out throws `StoreUnavailableError`, `unanswered` for a `save` or `delete` already sent. A
 *   `load` that waits for another process's lock gives up (`StoreUnavailableError` with
 *   `busy`) before its wait and a call's timeout add up to `lockLease`.
 * - Lock, if several processes share it: `load` takes a lock on the session that `save`,
 *   `release` and `delete` end, as the Redis store does with a token, or two requests of one
 *   session in two processes lose one's update (the plugin keeps them apart only inside a
 *   process). A synchronous store may run each commit as one transaction instead
 *   (`atomically`), as the SQLite store does. It should then also answer `endedAgo` (below).
 * - Be checked: the template's `tests/plugin/stores/contract.ts` runs against any store
 *   (`storeContract('mine', { create: () => myStore() })`); give a shared one `shared: () =>
 *   [a, b]` too, two store objects on one backend, or its lock and ended marks go unchecked.
 */

/** A value or a promise of it: the memory store answers synchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * Counters a store reports, e.g. on a health route. A store shared by several processes reports
 * them for all (the Redis store keeps its counts in Redis); the others, for their process.
 */
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
     * Leave it unset for a store over a network, whose calls return promises: the plugin
     * then awaits them, one request of a session at a time in each process. A store that
     * says `true` and answers a promise fails the request with a `ScopedStateSetupError`.
     * A synchronous call holds the whole process while it runs: keep it short.
     */
    readonly synchronous?: boolean
    /**
     * How long a request may hold a session while another request of it waits, in
     * milliseconds (when the plugin locks: asynchronous stores, `serializeRequests`). Past
     * it the waiting request goes on, and the late one's changes are refused with a 503;
     * a `save` or `delete` already called is waited for first, so that the next request loads
     * what it wrote, for up to one more lease (a call that never settles holds the session no
     * longer). A store that locks gives its lock's lease, so that the plugin's lock in each
     * process lapses with it.
     * @default 10_000
     */
    readonly lockLease?: number
    /**
     * Reads the record of `id` (`undefined` when there is none, or it expired) and extends its
     * life to `ttlMs`. It answers the string `save` was given: not `null` (a driver's missing
     * row), not a parsed object (a JSON column's); any other answer fails the request with a
     * `ScopedStateSetupError`. A store shared by several processes answers `endedAgo(ms)` for
     * a session that another one ended (see `delete`). It checks that before
     * the lock, and takes none. `SESSION_ENDED` is for a mark that holds no time (one written by
     * an older version of the store) and lapses within the grace minute: the plugin refuses the
     * cookie for as long as the store answers it.
     *
     * `id`: 24 characters of `A-Z a-z 0-9 _ -`, random, compared case-sensitively (not in a
     * case-insensitive column). `ttlMs`: a whole number of milliseconds, at least 1 (a request
     * that ran past `absoluteTimeout` gives 1), up to `idleTimeout`: past 2^31 when that is 25 days
     * or more, so not a 32-bit integer. The plugin checks expiry itself from the signed
     * cookie, so no request reads a record kept past its ttl; the store must still drop it.
     */
    load(id: string, ttlMs: number): MaybePromise<string | undefined | typeof SESSION_ENDED | EndedSession>
    /**
     * Replaces the record of `id`, keeps it for `ttlMs`, and ends the request's hold on it. It
     * may come without a `load` (a new session's first write, a login's new id). `record` is
     * JSON text of up to `maxStateBytes` UTF-8 bytes (16 KiB by default; more when the limit
     * was lowered since it was saved): store it whole, in a column that keeps any Unicode. A
     * store that locks writes nothing when its lock on `id` was lost (lapsed, then taken by
     * another request): `StoreUnavailableError` with `busy`. Without a `load` before it, it holds
     * no lock: it writes when no other request holds `id`. A store shared by several processes
     * writes nothing under an `id` that a `delete` in another one ended meanwhile (while its mark
     * lasts), ending any lock on it (`endScopedSession` of a session in use, or of a first visit's
     * or a login's new id told to the app), and throws `SessionEndedError` (409): else the end is
     * undone, signed in again everywhere. So a save that finds its lock gone looks for that mark
     * before it answers `busy`: the `delete` took the lock too, and a 503's `Retry-After` would
     * have the client send its change again at once, into a new session.
     *
     * `from`: given with a login's new id, the session the login's request loaded (and, in a store
     * that locks, holds). A store shared by several processes writes nothing when a `delete` in
     * another one ended `from` meanwhile (`endScopedSession` of the id the account recorded), and
     * throws `SessionEndedError` (409), as the login fails in that process: else the ended session's
     * preserved keys live on under the new id, signed in. Not given after a logout in the same
     * request (`destroyScopedSession()`, then `regenerateScopedSession()`: another user signs in on
     * that browser), whose new session carries nothing of the old: that save comes with neither a
     * lock nor `from`, as a first visit's, so check the mark on `id` whether or not `from` is given.
     */
    save(id: string, record: string, ttlMs: number, from?: string): MaybePromise<void>
    /**
     * For a synchronous store that several processes share without a lock (a SQLite file): runs
     * `writes`, a commit's calls (`load` the record again, `save`, `delete` a login's or logout's
     * old id), as one transaction, and answers what it answers. No other process writes in
     * between: a change saved there meanwhile is either loaded and merged, or made after the
     * commit, where without it the save would overwrite it, or a login would carry the old
     * session's keys away from it. An error `writes` throws is thrown again, its writes undone; one
     * that stops the transaction from starting or committing (another connection holding the file
     * past the store's wait, a full disk) throws `StoreUnavailableError`, nothing written. What an
     * undone write would tell (an expired record a `load` deleted, `onExpire`) is told only once the
     * transaction commits: undone, the record is back, to be told when deleted for good. Leave it
     * out when the store is one process's alone (the memory store).
     */
    atomically?: (<T>(writes: () => T) => T) | undefined
    /**
     * Ends the request's hold on `id` without writing. The plugin does not wait for it, and
     * lets the session's next request in right after the call: a store that locks must send
     * the unlock before it returns, or queue it ahead of any later call (over a pool of
     * connections, the session's next `load` waits for it: sent on another connection, that load
     * may run first and find the lock still held). It also comes after a
     * `save` or `delete` that threw: keep the token until they succeed, so that it unlocks. And
     * it comes after a `delete` that succeeded, a `load` that answered an end (no lock taken),
     * and a `load` that threw (one that gave up waiting for another request's lock): there it
     * must unlock nothing, so unlock by the request's token, never by `id` alone.
     */
    release(id: string): MaybePromise<void>
    /**
     * Deletes the record of `id` (session destroyed or regenerated). An id with no record (a
     * session that never wrote) is no error: throwing would fail that user's logout with 500.
     * `ttlMs`: how long a browser may still send the ended session's cookie (the plugin always
     * gives it; an app deleting a session itself may not). A store shared by several processes
     * remembers the end that long, and at least a minute (the plugin's grace; the Redis store
     * keeps a minute when not told), and meanwhile `load` answers `endedAgo` for `id`; the hold a
     * request in another process has on `id` ends with it, so that its `save` writes nothing. Every
     * process then treats the old cookie as the one that ended it does (a grace minute of
     * refusals, then a new session), and none saves a change under the ended id. A session
     * ended again (a second logout, sent with the old cookie) keeps its first end.
     *
     * `agoMs`: how long before now the end counts from, in milliseconds (0 when left out). The
     * plugin gives one past the grace minute for an app's end (`endScopedSession`): no new cookie
     * is on its way to that browser, so every process starts its cookie a new session at once, as
     * the one that ended it does. A store shared by several processes dates its mark back by it
     * (its own clock's now less `agoMs`), so that `load` answers an `endedAgo` of at least `agoMs`;
     * an end already marked keeps its time. One that ignores it gives that cookie a grace minute
     * of refusals (409) in the other processes.
     */
    delete(id: string, ttlMs?: number, agoMs?: number): MaybePromise<void>
    /**
     * Optional: reads the record of `id` for `peekScopedSession(id)`, which without it throws a
     * `ScopedStateSetupError`. It answers as `load` does (the string `save` was given, or
     * `undefined` when there is none, it expired, or a `delete` ended it), but is no use of the
     * session: it extends no life, takes no lock and waits for none (a request of `id` may hold it
     * meanwhile, and is left alone), moves no eviction order of the store's (Redis keeps its own
     * clock of use, which a `GET` sets), and writes nothing (an expired record is left for the
     * sweep).
     */
    peek?(id: string): MaybePromise<string | undefined>
    /**
     * Not called by the plugin: for the app's health route. Throws `StoreUnavailableError`
     * when the backend is down, so that a readiness check answers 503.
     */
    stats(): MaybePromise<StoreStats>
    /**
     * Frees timers and connections; the store is not used afterwards. The plugin calls it when
     * the app stops, and Elysia does not wait for it: a store that needs time (Redis waits for
     * the requests still running, then unlocks what they hold) returns a promise, the same one
     * on every call, so that the app can await `close()` before its process exits. It is called
     * more than once (by each plugin instance given the store, then by the app): a second call
     * must not throw.
     */
    close(): MaybePromise<void>
}

/**
 * What `Store.load` answers for a session that another process ended lately (a login, a
 * logout), when the store cannot tell how long ago: the plugin treats it as one it ended
 * itself within the last minute, so that a request still carrying its id saves nothing, sends
 * no cookie, and a second login from it answers 409.
 */
export const SESSION_ENDED: unique symbol = Symbol('scoped-state: session ended')

/** A session another process ended, and how long ago (`endedAgo`). */
export interface EndedSession {
    /** Milliseconds since it ended, by the store's clock. */
    readonly [SESSION_ENDED]: number
}

/**
 * What `Store.load` answers for a session that another process ended `ms` milliseconds ago, by
 * the store's own clock (the processes' clocks may differ): below 0 (a clock set back, or the
 * ending process's clock ahead) it counts as 0; not a number, it fails the request with a
 * `ScopedStateSetupError`. Within a minute the plugin treats it as `SESSION_ENDED`; later, as
 * the process that ended it does: the old cookie's request starts a new session.
 *
 * @example
 * if (endedAt !== null) return endedAgo(storeNow - endedAt)
 */
export const endedAgo = (ms: number): EndedSession => ({ [SESSION_ENDED]: ms })

/** `Store.lockLease` when a store gives none. */
export const DEFAULT_LOCK_LEASE = 10_000

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

/** A request whose lock lapsed may not save: the session is another request's now. */
export const lockLostError = () =>
    new StoreUnavailableError(
        'the session lock was lost before the request finished (its lease ran out, or the store dropped it); ' +
            'its changes were not saved',
        { busy: true }
    )
