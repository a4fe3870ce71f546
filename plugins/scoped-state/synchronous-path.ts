/**
 * The request path of a synchronous store (memory, SQLite) without `serializeRequests`: no
 * waiting at all. Load, handler and save run without a break unless the handler awaits.
 * A handler that awaits before it first touches the state gets the record as stored then;
 * one that awaits after has its changes rebased at commit onto what other requests of the
 * session saved meanwhile, key by key, and fails with 409 when both changed the same key.
 */
import type { EngineCore, RequestPath } from './engine.js'
import { CollisionError, isPromise, SessionEndedError, storeContractError } from './errors.js'
import type { ResponseSet } from './response-headers.js'
import type { ScopedSession } from './session.js'
import type { EndedSession, SESSION_ENDED } from './store.js'

/** What a synchronous store's `load` answers: no promise. */
type Loaded = string | undefined | typeof SESSION_ENDED | EndedSession

/**
 * Saves and deletes of sessions in this process, to tell whether a record may have changed.
 * The locking path counts its own too: an instance with `serializeRequests` may share a
 * store (the default memory store, a SQLite one) with instances without it.
 */
let writes = 0
/** A session was saved or deleted (`beforeFirstTouch` then loads again). */
export const countWrite = () => {
    writes++
}

/**
 * The record of `id` as `session` reads it from a synchronous store: one that another process
 * ended marks the session, and reads as none (`EngineCore.loaded`).
 */
const loadFor = (core: EngineCore, session: ScopedSession, id: string, ttl: number) =>
    core.loaded(session, core.store.load(id, ttl) as Loaded, id)

/**
 * `record`, about to be saved for `session` into a synchronous store, rebased onto what another
 * request saved since this one loaded: `undefined` when nothing is left to save. Throws 409 on a
 * collision. Part of every commit's writes (`storeWrites`), on both paths: the locking one too,
 * since instances without `serializeRequests` sharing its store take no turn.
 */
const rebaseOnStored = (core: EngineCore, session: ScopedSession, record: string) => {
    const ttl = core.ttlOf(session.id)
    // A login carries over the preserved keys as this request loaded them: saved by
    // another request since (its handler awaited), they would lose that change.
    const moved = session.loginSource
    if (moved && loadFor(core, session, moved.id, ttl) !== moved.raw)
        // Ended by another process meanwhile (`endScopedSession`, a logout there): the login fails as it
        // would there, not as a collision, whose message asks the user to try again at once.
        throw session.endedElsewhere ? new SessionEndedError() : new CollisionError()
    // Saved by another request since this one loaded (its handler awaited)?
    const current = session.returning ? loadFor(core, session, session.id.id, ttl) : undefined
    // Or ended by another process meanwhile (a store shared by several)?
    if (session.endedElsewhere && core.endedMeanwhile(session)) return undefined
    if (current === session.raw) return record
    session.rebase(current)
    // Rebased onto the other request's save, this one's changes may amount to nothing.
    return session.serialize()
}

/**
 * Has `session`, just loaded from a synchronous store, load its record again when it first touches
 * its state if a request of this process saved or deleted a session meanwhile (its handler awaited
 * first). Both paths call it: on the locking one, instances without `serializeRequests` sharing the
 * store take no turn. A save by another process goes unseen until the commit's rebase.
 */
export const reloadOnFirstTouch = (core: EngineCore, session: ScopedSession) => {
    const writesBefore = writes
    session.beforeFirstTouch = () => {
        if (writes === writesBefore) return
        const current = loadFor(core, session, session.id.id, core.ttlOf(session.id))
        // Gone meanwhile (a logout, an eviction): the commit tells, and ends this request's session.
        if (current !== undefined) session.raw = current
    }
}

/** Throws when a synchronous store's `call` answered a promise: it is not synchronous. */
const assertSettled = (call: 'save' | 'delete', answer: unknown) => {
    if (isPromise(answer)) throw storeContractError(call, answer)
}

/**
 * A commit's writes into a synchronous store: `record` (if any) rebased onto what is stored
 * (`rebaseOnStored`) and saved, then the id a login or logout ended deleted. Store calls only:
 * they run in one transaction of the store's when it has them (`Store.atomically`, a SQLite
 * file another process may write meanwhile), and what the process remembers of them is left
 * to `writeSynchronously`, once they are committed. Answers the record saved, if any.
 */
const storeWrites = (core: EngineCore, session: ScopedSession, record: string | undefined) => {
    if (record !== undefined) record = rebaseOnStored(core, session, record)
    if (record !== undefined) {
        // A login names the session it moved from, which another process may end between its load and this save.
        const from = session.loginSource?.id
        try {
            assertSettled('save', core.store.save(session.id.id, record, core.ttlOf(session.id), from))
        } catch (error) {
            // Ended by another process between its load and this save (a shared store without `atomically`).
            core.endedAtSave(session, error)
            record = undefined
        }
    }
    if (session.discard) {
        const { id, ttl } = session.discard
        let deleted: unknown
        try {
            deleted = core.store.delete(id, ttl)
        } catch (error) {
            core.discardFailed(error, session, record !== undefined)
        }
        assertSettled('delete', deleted)
    }
    return record
}

/**
 * Saves `record` (if any) for `session` into a synchronous store, and deletes the id a login
 * or logout ended, without a break: no request of this process runs in between, and with the
 * store's `atomically` none of another process either. Both paths call it. Answers whether
 * the record was saved.
 */
export const writeSynchronously = (core: EngineCore, session: ScopedSession, record: string | undefined) => {
    const { store } = core
    // Called on the store, as its other methods: a store of your own may be a class.
    const saved = store.atomically
        ? store.atomically(() => storeWrites(core, session, record))
        : storeWrites(core, session, record)
    if (saved !== undefined) session.saved(saved)
    if (saved !== undefined || session.discard) countWrite()
    if (session.discard) core.markEnded(session.discard.id)
    return saved !== undefined
}

export const synchronousPath = (core: EngineCore): RequestPath => ({
    open(request: Request): ScopedSession {
        const at = core.seconds()
        for (;;) {
            const session = core.identify(request, at)
            if (!session.returning) return session
            session.raw = loadFor(core, session, session.id.id, core.ttlOf(session.id, at))
            // Ended by another process past the grace: a new session, as there (identify now passes it over).
            if (core.startsOver(session, at)) continue
            reloadOnFirstTouch(core, session)
            return session
        }
    },
    commit(session: ScopedSession | undefined, set: ResponseSet, response?: unknown): Response | undefined {
        if (!session) return undefined
        core.closeHandling(session, set)
        const serialized = session.serialize()
        const record = core.endedMeanwhile(session) ? undefined : serialized
        if (record !== undefined || session.discard) writeSynchronously(core, session, record)
        return core.sendCookie(session, set, response)
    },
    /** Nothing to release after a failure: this path holds no lock. */
    abort: undefined,
    release: undefined
})
