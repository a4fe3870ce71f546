/**
 * A store shared by several processes, kept in memory: each `sharedMemoryStore(backend)` is one
 * process's store object over the one `backend`, answering with promises after `latency` ms as
 * over a network. It locks as docs/stores.md asks of a store of your own (a token per request,
 * with a lease), and marks ended sessions with their time. So the contract's shared checks run
 * without a server, even 60 ms away.
 *
 * @example
 * const backend = sharedBackend()
 * const [one, two] = [sharedMemoryStore(backend), sharedMemoryStore(backend)]
 */
import { endedAgo, type Store, StoreUnavailableError } from '../../plugins/scoped-state'

interface Row {
    record?: string
    expires: number
    ended?: number
    lock?: { token: string; until: number }
}

export const sharedBackend = () => new Map<string, Row>()

/** How long an end is remembered when `delete` is not told: the plugin's grace minute. */
const ENDED_MARK = 60_000
const LOCK_TIMEOUT = 1_000
const LOCK_LEASE = 5_000

export const sharedMemoryStore = (backend: Map<string, Row>, { latency = 0 }: { latency?: number } = {}): Store => {
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
        token !== undefined && row?.lock?.token === token && row.lock.until > now

    const load = async (id: string, ttlMs: number) => {
        const token = crypto.randomUUID()
        const deadline = Date.now() + LOCK_TIMEOUT
        for (;;) {
            const answer = await remote((now) => {
                const row = live(id, now)
                if (row?.ended !== undefined) return endedAgo(now - row.ended)
                if (row?.lock && row.lock.until > now) return 'locked' as const
                const held = row ?? { expires: now }
                held.lock = { token, until: now + LOCK_LEASE }
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
        lockLease: LOCK_LEASE,
        load,
        save: (id, record, ttlMs) =>
            remote((now) => {
                const row = live(id, now)
                const token = tokens.get(id)
                const free = !row?.lock || row.lock.until <= now
                if (row?.ended !== undefined || (token === undefined ? !free : !holds(row, token, now)))
                    throw new StoreUnavailableError('the session lock was lost', { busy: true })
                backend.set(id, { record, expires: now + ttlMs })
                tokens.delete(id)
            }),
        release: (id) => {
            const token = tokens.get(id)
            tokens.delete(id)
            return remote((now) => {
                const row = backend.get(id)
                if (row && holds(row, token, now)) row.lock = undefined
            })
        },
        delete: (id, ttlMs) =>
            remote((now) => {
                const row = live(id, now)
                const mark = Math.max(ttlMs ?? ENDED_MARK, ENDED_MARK)
                backend.set(id, {
                    ended: row?.ended ?? now,
                    expires: Math.max(row?.ended === undefined ? 0 : row.expires, now + mark)
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
