/**
 * A store shared by several processes, kept in memory: each `sharedMemoryStore(backend)` is one
 * process's store object over the one `backend`, answering with promises after `latency` ms as
 * over a network. It locks as docs/stores.md asks of a store of your own (a token per request,
 * with a lease), and marks ended sessions with their time (dated back by `agoMs`). So the
 * contract's shared checks run without a server, and, given a `fault`, each subtly wrong store
 * shows which check catches it.
 *
 * @example
 * const backend = sharedBackend()
 * const [one, two] = [sharedMemoryStore(backend), sharedMemoryStore(backend)]
 */
import {
    endedAgo,
    SESSION_ENDED,
    SessionEndedError,
    type Store,
    StoreUnavailableError
} from '../../plugins/scoped-state'

/** Mistakes a store of one's own can make, each passing the contract's single-store checks. */
export const FAULTS = [
    /** `load` never waits for another request's lock. */
    'no lock',
    /** The lock is taken, but belongs to no request: `save` and `release` go by id alone. */
    'lock without token',
    /** `release` unlocks the session whoever holds it. */
    'release by id',
    /** The end is marked, but not when: `load` answers `SESSION_ENDED` for as long as the mark lasts. */
    'end without time',
    /** `delete` leaves another request's lock in place, so that request still saves, under the ended id. */
    'delete keeps the lock',
    /** `delete` ignores `agoMs`: an app's end gives the other processes a grace minute of refusals. */
    'end not dated back',
    /** A login's `save` ignores `from`: an end of the session it moved from, in another process, is undone. */
    'login ignores from',
    /** A `save` looks for its id's end only when `from` comes: a first visit's, ended in another process, is undone. */
    'end looked up only with from',
    /** A lock held past its lease still keeps others out: a process that died holds its sessions for good. */
    'lock never lapses'
] as const
export type Fault = (typeof FAULTS)[number]

interface Row {
    record?: string
    expires: number
    ended?: number
    lock?: { token: string; until: number }
}

export const sharedBackend = () => new Map<string, Row>()

/** How long an end is remembered when `delete` is not told: the plugin's grace minute. */
const ENDED_MARK = 60_000
const LOCK_LEASE = 5_000

export const sharedMemoryStore = (
    backend: Map<string, Row>,
    { latency = 0, fault, lockLease = LOCK_LEASE }: { latency?: number; fault?: Fault; lockLease?: number } = {}
): Store => {
    // Under the lease, as docs/stores.md asks: a wait for the lock gives up before it would lapse.
    const lockTimeout = lockLease / 5
    const tokens = new Map<string, string>()
    /** What runs on the backend: after the network's delay, all at once, as one script or statement does. */
    const remote = async <T>(step: (now: number) => T) => {
        await Bun.sleep(latency)
        return step(Date.now())
    }
    const live = (id: string, now: number) => {
        const row = backend.get(id)
        if (row && row.expires <= now && !(row.lock && row.lock.until > now)) backend.delete(id)
        return backend.get(id)
    }
    const holds = (row: Row | undefined, token: string | undefined, now: number) =>
        fault === 'lock without token'
            ? row?.lock !== undefined
            : token !== undefined && row?.lock?.token === token && row.lock.until > now

    const load = async (id: string, ttlMs: number) => {
        const token = crypto.randomUUID()
        const deadline = Date.now() + lockTimeout
        for (;;) {
            const answer = await remote((now) => {
                const row = live(id, now)
                if (row?.ended !== undefined)
                    return fault === 'end without time' ? SESSION_ENDED : endedAgo(now - row.ended)
                const lapsed = row?.lock && row.lock.until <= now && fault !== 'lock never lapses'
                if (row?.lock && !lapsed && fault !== 'no lock') return 'locked' as const
                const held = row ?? { expires: now }
                held.lock = { token, until: now + lockLease }
                if (held.record !== undefined) held.expires = now + ttlMs
                backend.set(id, held)
                return { record: held.record }
            })
            if (answer !== 'locked') {
                if (typeof answer === 'object' && 'record' in answer) {
                    tokens.set(id, token)
                    return answer.record
                }
                return answer
            }
            if (Date.now() > deadline) throw new StoreUnavailableError('the session stayed locked', { busy: true })
            await Bun.sleep(5)
        }
    }
    return {
        lockLease,
        load,
        save: (id, record, ttlMs, from) =>
            remote((now) => {
                const row = live(id, now)
                const token = tokens.get(id)
                const free = !row?.lock || row.lock.until <= now
                const ended =
                    row?.ended !== undefined &&
                    fault !== 'delete keeps the lock' &&
                    !(fault === 'end looked up only with from' && from === undefined)
                const source = from === undefined || fault === 'login ignores from' ? undefined : live(from, now)
                // Ended (its lock with it), or a login's source that was: the request fails, as where it was ended.
                if (ended || source?.ended !== undefined) throw new SessionEndedError()
                if (token === undefined ? !free : !holds(row, token, now))
                    throw new StoreUnavailableError('the session lock was lost', { busy: true })
                // The mark stays: a store that never checks it leaves it there.
                backend.set(id, { record, expires: now + ttlMs, ...(row?.ended !== undefined && { ended: row.ended }) })
                tokens.delete(id)
            }),
        release: (id) => {
            const token = tokens.get(id)
            tokens.delete(id)
            return remote((now) => {
                const row = backend.get(id)
                const byId = fault === 'release by id' || fault === 'lock without token'
                if (row && (byId || holds(row, token, now))) row.lock = undefined
            })
        },
        delete: (id, ttlMs, agoMs = 0) =>
            remote((now) => {
                const row = live(id, now)
                const mark = Math.max(ttlMs ?? ENDED_MARK, ENDED_MARK)
                const lock = fault === 'delete keeps the lock' ? row?.lock : undefined
                backend.set(id, {
                    ended: row?.ended ?? (fault === 'end not dated back' ? now : now - agoMs),
                    expires: Math.max(row?.ended === undefined ? 0 : row.expires, now + mark),
                    ...(lock && { lock })
                })
                tokens.delete(id)
            }),
        stats: () =>
            remote((now) => ({
                sessions: [...backend.keys()].filter((id) => live(id, now)?.record !== undefined).length,
                evictions: 0,
                expirations: 0
            })),
        close: () => {}
    }
}
