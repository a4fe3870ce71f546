/**
 * The request path with locking (asynchronous stores such as Redis, or
 * `serializeRequests`): one request at a time per session, holding the store's in-process
 * mutex and the store's own lock from `open` to `commit`, or to `release` or `abort` when it fails.
 */
import type { EngineCore, RequestPath } from './engine.js'
import { isPromise } from './errors.js'
import { SessionMutex } from './mutex.js'
import type { ResponseSet } from './response-headers.js'
import type { ScopedSession } from './session.js'
import { DEFAULT_LOCK_LEASE, lockLostError, type Store } from './store.js'
import { countWrite, reloadOnFirstTouch, writeSynchronously } from './synchronous-path.js'
import { timerDelay } from './whole-number.js'

/**
 * One in-process mutex per store, shared by the plugin instances using it (route modules
 * given one Redis store): a store holds one lock per session for this whole process.
 */
const mutexes = new WeakMap<Store, SessionMutex>()
const mutexOf = (store: Store) => {
    const known = mutexes.get(store)
    if (known) return known
    const mutex = new SessionMutex(timerDelay('scopedState', 'store.lockLease', store.lockLease ?? DEFAULT_LOCK_LEASE))
    mutexes.set(store, mutex)
    return mutex
}

export const lockedPath = (core: EngineCore): RequestPath => {
    const { store } = core
    const mutex = mutexOf(store)
    /**
     * Ends the store's hold on session `id` without waiting: no response depends on it, the
     * store has sent it before the session's next request here asks for the lock
     * (`Store.release`), and one that fails lapses with its lease. So a read-only request
     * is answered one round trip sooner.
     */
    const releaseStore = (id: string) => {
        try {
            Promise.resolve(store.release(id)).catch(() => {})
        } catch {}
    }
    /**
     * The session's next request in this process may go on; `unlockStore` ends the store's
     * hold too. Nothing to do once this request's hold lapsed: the session, and the
     * store's lock on it in this process, are another request's now.
     */
    const leave = (session: ScopedSession, handling: object, unlockStore: boolean) => {
        const id = session.locked
        session.locked = undefined
        if (id === undefined || !mutex.holds(id, handling)) return
        if (unlockStore) releaseStore(id)
        mutex.release(id, handling)
    }
    /** Releases what a failed request still holds (nothing once it committed): the lock, even with the store down. */
    const release = (session: ScopedSession | undefined, handling: object) => {
        if (session) leave(session, handling, true)
    }
    /** After a request's response: it is answered, and what it still holds released. */
    const abort = (session: ScopedSession | undefined, handling: object) => {
        session?.markAnswered()
        release(session, handling)
    }
    /**
     * Saves `record` (if any) into an asynchronous store, then deletes the id a login or logout
     * ended, in the request's turn (`set`); answers whether the record was saved.
     */
    const writeAwaiting = async (session: ScopedSession, set: ResponseSet, record: string | undefined) => {
        let saved = false
        if (record !== undefined) {
            // A login names the session it moved from, which another process may have ended meanwhile.
            const from = session.loginSource?.id
            try {
                const saving = store.save(session.id.id, record, core.ttlOf(session.id), from)
                if (isPromise(saving)) await saving
                saved = true
            } catch (error) {
                // Ended by another process while this request held it (Redis drops the lock with the record).
                core.endedAtSave(session, error)
            }
            if (saved) {
                countWrite()
                session.saved(record)
            }
        }
        if (session.discard) {
            // A save that ran a lease too long lost the turn (mutex.ts): the old id's record, and in
            // Redis its lock, are the next request's now.
            const id = session.locked
            if (id !== undefined && !mutex.holds(id, set)) throw lockLostError()
            const ended = session.discard
            try {
                const deleting = store.delete(ended.id, ended.ttl)
                if (isPromise(deleting)) await deleting
                countWrite()
            } catch (error) {
                core.discardFailed(error, session, saved)
            }
            core.markEnded(ended.id)
        }
        return saved
    }
    return {
        async open(request: Request, handling: object): Promise<ScopedSession> {
            const at = core.seconds()
            for (;;) {
                const session = core.identify(request, at)
                if (!session.returning) return session
                const id = session.id.id
                await mutex.acquire(id, handling)
                session.locked = id
                try {
                    session.raw = core.loaded(session, await store.load(id, core.ttlOf(session.id, at)), id)
                } catch (error) {
                    abort(session, handling)
                    throw error
                }
                if (!core.startsOver(session, at)) {
                    if (store.synchronous) reloadOnFirstTouch(core, session)
                    return session
                }
                // Ended by another process past the grace: a new session, as there (identify now passes it over).
                leave(session, handling, true)
            }
        },
        async commit(
            session: ScopedSession | undefined,
            set: ResponseSet,
            response?: unknown
        ): Promise<Response | undefined> {
            if (!session) return undefined
            core.closeHandling(session, set)
            const id = session.locked
            let saved = false
            /** Called once this request's writes settled: till then its turn does not lapse, for a lease at most (mutex.ts). */
            let writesSettled = () => {}
            try {
                const serialized = session.serialize()
                const record = core.endedMeanwhile(session) ? undefined : serialized
                const writes = record !== undefined || session.discard !== undefined
                if (id !== undefined && writes) {
                    // Once this request's turn lapsed, the session and its lock are the next request's.
                    if (!mutex.holds(id, set)) throw lockLostError()
                    // From here on its turn does not lapse, unless a write runs a lease too long: the
                    // next request loads what it writes.
                    writesSettled = mutex.writing(id, set)
                }
                // A synchronous store (`serializeRequests`) may be shared with instances without it (the
                // default memory store of a cookie name, a SQLite file): their requests take no turn, so
                // one of them may have saved the session since this one loaded it. Rebased onto that save,
                // and with nothing awaited, as on the synchronous path: else a request of such an instance
                // could commit between the save and the delete of a login's or logout's old id, into a
                // session about to be deleted (its answer 200, its change lost).
                if (writes)
                    saved = store.synchronous
                        ? writeSynchronously(core, session, record)
                        : await writeAwaiting(session, set, record)
            } catch (error) {
                writesSettled()
                abort(session, set)
                throw error
            }
            writesSettled()
            const replaced = core.sendCookie(session, set, response)
            // A save ended the store's hold on the session it wrote; any other hold (nothing
            // written, or regenerated to a new id) ends here.
            leave(session, set, !saved || session.id.id !== id)
            return replaced
        },
        abort,
        release
    }
}
