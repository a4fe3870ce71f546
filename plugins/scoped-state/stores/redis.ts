/**
 * The Redis (or Valkey) store: sessions shared by every app process, each session locked
 * while one request uses it, by Lua scripts that load, write and unlock in one round trip
 * (redis-scripts.ts). Timeouts and reconnects are in redis-connection.ts.
 */
import { BoundedCache } from '../bounded-cache.js'
import { ENDED_GRACE } from '../ended-ids.js'
import { ScopedStateSetupError, SessionEndedError } from '../errors.js'
import {
    DEFAULT_LOCK_LEASE,
    endedAgo,
    lockLostError,
    type Store,
    type StoreStats,
    StoreUnavailableError
} from '../store.js'
import { timerDelay } from '../whole-number.js'
import { expiryListener, type OnExpire } from './expiry-listener.js'
import { reachedRedis, redisConnection, timedOut, usesTls } from './redis-connection.js'
import { DELETE, LOCK_AND_LOAD, PRUNE, PRUNE_BATCH, sha1, statsScript, UNLOCK, writeScript } from './redis-scripts.js'

export interface RedisStoreOptions {
    /**
     * Server to connect to: `redis://[user:password@]host:port[/db]`, `rediss://` for
     * TLS. Valkey speaks the same protocol.
     */
    url: string
    /**
     * Prepended to every key: `<prefix>s:<id>` holds a session's record,
     * `<prefix>lock:<id>` its lock, `<prefix>ended:<id>` marks it ended (and when) for as long
     * as its cookie may still be sent,
     * `<prefix>index` and `<prefix>expired` feed `stats()`. Give each app its own prefix
     * when they share a server.
     * @default 'scoped-state:'
     */
    prefix?: string | undefined
    /**
     * Longest time one Redis command (or connecting) may take, in milliseconds.
     * Past it the request answers 503 instead of hanging.
     * @default 1_500
     */
    commandTimeout?: number | undefined
    /**
     * How long a request waits for another request of the same session (in another
     * process) to finish, in milliseconds, before it answers 503.
     * @default 5_000
     */
    lockTimeout?: number | undefined
    /**
     * How long a lock lives if its holder never releases it (the process died), in
     * milliseconds. Must exceed your slowest handler: a request that holds the lock
     * longer loses it, and its write is refused (503) instead of overwriting a newer one.
     * It must also exceed `lockTimeout + commandTimeout`, the longest a request may wait
     * for the lock before its handler runs (checked when the store is created).
     * @default 10_000
     */
    lockLease?: number | undefined
    /**
     * TLS settings for a `rediss://` url, passed to Bun's client: `ca` to trust a private
     * CA, `cert` and `key` for a server that asks clients for a certificate
     * (`tls-auth-clients yes`), `serverName` when the certificate names another host.
     * Each takes a PEM string or a `Bun.file()`.
     * @default undefined (the system's CAs, no client certificate)
     */
    tls?: Bun.TLSOptions | undefined
    /**
     * Called with the id of each session whose record Redis dropped (`'expired'` always: a key
     * evicted under `maxmemory` is told as one, when its TTL would have passed), once a process
     * drops it from `<prefix>index`: a save, `stats()`, or this store's own prune every
     * `sweepInterval`. Each id is told by one process only, the one whose script dropped it: give
     * every process the listener. Lost when that script's answer is (a timeout, a crash), and
     * when no process prunes until the index itself expires, an hour or more after its last
     * session. Not for the deletes the plugin asks for (login, logout, `endScopedSession`). Called
     * within a save (a request) as well as by the prune: keep it short. A throw is logged once,
     * and the store goes on.
     * @default nothing
     */
    onExpire?: OnExpire | undefined
    /**
     * How often, in milliseconds, a store given `onExpire` drops the ids of expired sessions
     * from the index and tells them, between the saves that also do. The timer is unref'd and
     * stops with `close()`; without `onExpire` there is none.
     * @default 60_000
     */
    sweepInterval?: number | undefined
}

/**
 * The shortest life of an ended mark, in milliseconds: the plugin's grace, for a delete not told
 * how long the cookie lives (an app's own).
 */
const ENDED_MARK = ENDED_GRACE * 1000

/** Sessions, and tokens per session, whose unanswered locks a store remembers (see `abandoned`). */
const ABANDONED_SESSIONS = 4096
const ABANDONED_TOKENS = 8

/** How often, in milliseconds, `close` looks whether the requests still running are done. */
const DRAIN_POLL = 10

/** Redis' whole-millisecond expiries; 0 would be an error. */
const millis = (ms: number) => String(Math.max(1, Math.ceil(ms)))

/**
 * State in Redis or Valkey (`Bun.RedisClient`), shared by every app process that
 * uses the same server and prefix. The record is the plugin's JSON string, stored
 * as a plain string value that expires with the session.
 *
 * Requests of one session never overwrite each other, across processes: `load`
 * takes a per-session lock (`SET NX PX`, read in the same script), `save` writes and
 * unlocks in one script that checks the lock is still ours, `release` unlocks.
 * When Redis cannot be reached every call fails within `commandTimeout` with
 * `StoreUnavailableError` (503); the next request reconnects (see `redisConnection`).
 *
 * @example
 * scopedState(setup, { store: redisStore({ url: 'redis://127.0.0.1:6379' }) })
 */
export const redisStore = (options: RedisStoreOptions): Store => {
    const { url, prefix = 'scoped-state:' } = options
    const commandTimeout = timerDelay('redisStore', 'commandTimeout', options.commandTimeout ?? 1_500)
    const lockTimeout = timerDelay('redisStore', 'lockTimeout', options.lockTimeout ?? 5_000, 0)
    const lockLease = timerDelay('redisStore', 'lockLease', options.lockLease ?? DEFAULT_LOCK_LEASE)
    // Else a request could get the lock after its turn in the process lapsed, and leave it to expire.
    if (lockLease <= lockTimeout + commandTimeout)
        throw new ScopedStateSetupError(
            `redisStore: lockLease (${lockLease} ms) must exceed lockTimeout + commandTimeout (${lockTimeout + commandTimeout} ms).`
        )
    // Bun would speak TLS to a redis:// url given `tls`: the url alone says whether it is used.
    if (options.tls && !usesTls(url))
        throw new ScopedStateSetupError('redisStore: tls is given, but the url does not use TLS: use rediss://.')
    const sweepInterval = timerDelay('redisStore', 'sweepInterval', options.sweepInterval ?? 60_000)
    const onExpire = expiryListener('redisStore', options.onExpire)
    const WRITE = writeScript(onExpire !== undefined)
    const STATS = statsScript(onExpire !== undefined)
    const redis = redisConnection(url, commandTimeout, lockLease, options.tls)
    /** Lock tokens this process holds; the plugin lets one request per session in at a time. */
    const tokens = new Map<string, string>()
    /**
     * By session, tokens whose unlock (or save) got no answer, so that Redis may still hold a
     * lock with one that no request here knows of: a frozen server runs what it had received
     * when it resumes, and a lock sent on a connection since replaced may run after the unlock
     * sent on the new one. The session's next request here takes over a lock held by one of
     * them instead of waiting out its lease (after a freeze longer than `lockLease`, every
     * active session was otherwise locked that long again). They are kept after the session
     * locks again, since a frozen server may take more than one pass to run all it received:
     * no request owns them, so taking their lock over is always safe. Only this process knows
     * its tokens: another one waits for such a lock as for any other.
     */
    const abandoned = new BoundedCache<string[]>(ABANDONED_SESSIONS)
    const abandon = (id: string, token: string) => {
        abandoned.add(id, [...(abandoned.get(id) ?? []), token].slice(-ABANDONED_TOKENS))
    }
    const lockKey = (id: string) => `${prefix}lock:${id}`
    /** Sorted set of session ids by expiry time, so `stats` need not scan the keyspace. */
    const indexKey = `${prefix}index`
    const expiredKey = `${prefix}expired`
    const recordKey = (id: string) => `${prefix}s:${id}`
    const keysOf = (id: string) => [recordKey(id), lockKey(id), indexKey]
    const endedKey = (id: string) => `${prefix}ended:${id}`
    /** With the mark `DELETE` leaves, which `LOCK_AND_LOAD` reads. */
    const keysWithMark = (id: string) => [...keysOf(id), endedKey(id)]
    /** Scripts sent and not yet answered: `close` waits for them (a release is not awaited). */
    let inFlight = 0
    /**
     * Runs a script by its SHA-1, so neither side handles its text on every call. Redis
     * forgets scripts when it restarts (or on SCRIPT FLUSH): then it is sent once in full.
     * A script that `writes` a record may still run after its timeout (`unanswered`); the
     * lock's scripts change no state the user sees.
     */
    const script = async (source: string, keys: string[], args: string[], writes = false) => {
        const rest = [String(keys.length), ...keys, ...args]
        inFlight++
        try {
            return await redis.send('EVALSHA', [sha1(source), ...rest], writes)
        } catch (error) {
            if (!(error instanceof StoreUnavailableError) || !error.message.includes('NOSCRIPT')) throw error
            return await redis.send('EVAL', [source, ...rest], writes)
        } finally {
            inFlight--
        }
    }

    const load = async (id: string, ttlMs: number) => {
        const token = crypto.randomUUID()
        // Known before the first attempt, so a release after a failed attempt still unlocks.
        tokens.set(id, token)
        try {
            return await lockAndLoad(id, token, ttlMs)
        } catch (error) {
            // No lock can hold this token unless the last attempt reached Redis (a script that
            // failed after taking the lock keeps it): then `release` unlocks, or abandons the
            // token. Else it would abandon it for nothing (Redis down), and fill `abandoned` for
            // as long as an outage lasts.
            if (!reachedRedis(error)) tokens.delete(id)
            throw error
        }
    }

    const lockAndLoad = async (id: string, token: string, ttlMs: number) => {
        const deadline = performance.now() + lockTimeout
        for (let attempt = 0; ; attempt++) {
            const orphans = abandoned.get(id) ?? []
            const [locked, record] = (await script(LOCK_AND_LOAD, keysWithMark(id), [
                token,
                millis(lockLease),
                millis(ttlMs),
                id,
                ...orphans
            ])) as [number, string | number | null]
            if (locked === 2) {
                tokens.delete(id)
                return endedAgo(Number(record))
            }
            if (locked) return (record as string | null) ?? undefined
            if (performance.now() >= deadline)
                throw new StoreUnavailableError(`another request kept this session locked for over ${lockTimeout} ms`, {
                    busy: true
                })
            // Short, growing, jittered waits: a lock is usually held for one request's few milliseconds.
            await Bun.sleep(Math.min(2 ** attempt, 50) * (0.5 + Math.random()))
        }
    }

    const save = async (id: string, record: string, ttlMs: number, from?: string) => {
        // No token: a session created by this request (new visitor, regenerated id), whose id nobody else knows.
        const token = tokens.get(id) ?? ''
        tokens.delete(id)
        let written: [number, string[]?]
        try {
            written = (await script(
                WRITE,
                [...keysOf(id), expiredKey, endedKey(id), endedKey(from ?? id)],
                [token, record, millis(ttlMs), id],
                true
            )) as [number, string[]?]
        } catch (error) {
            // An error reply (Redis full) stops the script before its unlock: unlocked here, at once.
            if (token) unlockLater(id, token, error)
            throw error
        }
        // Ended meanwhile by another process (`endScopedSession`, its lock with it): this session, one
        // this request created (a first visit's or a login's new id), or the one a login moved from.
        // The request fails as in that process (409), not as busy, whose `Retry-After` would have a
        // client send its change again at once, into a new session.
        if (written[0] === 2) throw new SessionEndedError()
        if (written[0] !== 1) throw lockLostError()
        tell(written[1])
    }

    /** Tells `onExpire` of the ids a script dropped from the index. */
    const tell = (pruned: string[] | undefined) => {
        if (onExpire && pruned) for (const id of pruned) onExpire(id, 'expired')
    }

    /**
     * The lock with `token` may still be held: its unlock, or the save that would have unlocked
     * it, failed. After a timeout Redis may still run that command (a frozen server runs what it
     * received): the token is abandoned, for this process's next request to take over. Else
     * (an error reply, a closed connection, which runs nothing more) the unlock is sent again,
     * on a new connection if need be: it deletes the lock only if it still holds this token, so
     * that other instances need not wait out the lease.
     */
    const unlockLater = (id: string, token: string, error: unknown) => {
        abandon(id, token)
        if (!timedOut(error)) script(UNLOCK, [lockKey(id)], [token]).catch(() => {})
    }

    const release = async (id: string) => {
        const token = tokens.get(id)
        if (token === undefined) return
        tokens.delete(id)
        try {
            await script(UNLOCK, [lockKey(id)], [token])
        } catch (error) {
            unlockLater(id, token, error)
            throw error
        }
    }

    /**
     * A plain read: no script, so no lock taken or waited for, and no token of this process's
     * (a request of `id` in flight here keeps its own), and the record's expiry left as it is.
     */
    const peek = async (id: string) => {
        inFlight++
        try {
            return ((await redis.send('GET', [recordKey(id)])) as string | null) ?? undefined
        } finally {
            inFlight--
        }
    }

    const remove = async (id: string, ttlMs = 0, agoMs = 0) => {
        await script(
            DELETE,
            keysWithMark(id),
            [id, millis(Math.max(ttlMs, ENDED_MARK)), String(Math.floor(agoMs))],
            true
        )
        // Kept until the lock is gone with the record: a failed delete's request releases it.
        tokens.delete(id)
    }

    /** From the expiry index: O(log n), cheap enough for a health check. */
    const readStats = async (): Promise<StoreStats> => {
        const [sessions, expirations, pruned] = (await script(STATS, [indexKey, expiredKey], [])) as [
            number,
            number,
            string[]
        ]
        tell(pruned)
        // Redis evicts under memory pressure by its own policy and does not report it per prefix.
        return { sessions, evictions: 0, expirations }
    }

    let pruning = false
    /** Whether the last prune failed: an outage is warned of once, not at every tick while it lasts. */
    let pruneFailed = false
    /** Drops expired ids from the index, a batch at a time, so that `onExpire` hears of them without waiting for a save. */
    const pruneIndex = async () => {
        if (pruning) return
        pruning = true
        try {
            for (let batch = PRUNE_BATCH; batch === PRUNE_BATCH && !closing; ) {
                const pruned = (await script(PRUNE, [indexKey, expiredKey], [])) as string[]
                tell(pruned)
                batch = pruned.length
            }
            pruneFailed = false
        } catch (error) {
            if (!pruneFailed)
                console.warn(
                    `scopedState: pruning the Redis store's expiry index failed (${(error as Error).message}); ` +
                        'onExpire hears of the sessions that expire meanwhile once it succeeds.'
                )
            pruneFailed = true
        } finally {
            pruning = false
        }
    }
    const timer = onExpire ? setInterval(pruneIndex, sweepInterval) : undefined
    timer?.unref()

    /**
     * The app stopped taking requests, but some may still run (a client that went away
     * does not hold up the server's stop), and a failed one may release its lock only after
     * its response. Waits for them for up to `lockLease`, then unlocks what is still held: a
     * lock left behind would hold up that user's requests to other instances for its
     * whole lease (503 past `lockTimeout`).
     */
    const drain = async () => {
        const deadline = performance.now() + lockLease
        while ((tokens.size > 0 || inFlight > 0) && performance.now() < deadline) await Bun.sleep(DRAIN_POLL)
        await Promise.allSettled([...tokens.keys()].map(release))
        redis.close()
    }
    let closing: Promise<void> | undefined

    return {
        lockLease,
        load,
        save,
        release,
        peek,
        delete: remove,
        stats: readStats,
        close() {
            clearInterval(timer)
            closing ??= drain()
            return closing
        }
    }
}
