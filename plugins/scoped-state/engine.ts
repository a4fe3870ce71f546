/**
 * The request path: cookie → session id → page scope → store, and back.
 *
 * `open` runs before the handler (Elysia `derive`), `commit` after it
 * (`onAfterHandle`), `abort` after the response (`onAfterResponse`) to release what a
 * failed request still holds. A new visitor touches no store until it writes. A
 * returning session's requests are kept apart in one of two ways:
 * - locking (asynchronous stores such as Redis, or `serializeRequests`): one request at
 *   a time per session, holding the store's in-process mutex and the store's own lock
 *   from `open` to `commit`/`abort`;
 * - otherwise (memory, SQLite): no waiting at all. Load, handler and save
 *   run without a break unless the handler awaits; a request whose session was saved
 *   by another meanwhile rebases its changes onto that record, key by key, and fails
 *   with 409 when both changed the same key.
 */
import type { Context } from 'elysia'
import { BoundedCache } from './bounded-cache'
import { type CookieAttributes, cookieReader, sessionCookie } from './cookie'
import { collisionError, sessionEndedError } from './errors'
import { SessionMutex } from './mutex'
import { DEFAULT_PAGE, newPageId, STALE_PAGE, verifyPageId } from './page-id'
import { isPageLoad, PAGE_HEADER, requestedPageId } from './page-load'
import type { RecordFormat } from './record'
import { type ParsedRecord, ScopedSession } from './session'
import { decodeSessionId, encodeSessionId, newSessionId, type SessionId } from './session-id'
import type { Signer } from './signer'
import { DEFAULT_LOCK_LEASE, LOCK_LOST, type Store, StoreUnavailableError } from './store'

export interface EngineConfig {
    /** The setup's keys and version. */
    format: RecordFormat
    store: Store
    signer: Signer
    cookieName: string
    cookie: CookieAttributes
    idleTimeout: number
    absoluteTimeout: number
    refreshAfter: number
    maxStateBytes: number
    maxPages: number
    now: () => number
    /** One request at a time per session (always so for asynchronous stores). */
    locking: boolean
}

/** Elysia's response headers and cookie jar for the request. */
export type ResponseSet = Context['set']

/**
 * One in-process mutex per store, shared by the plugin instances using it (route modules
 * given one Redis store): a store holds one lock per session for this whole process.
 */
const mutexes = new WeakMap<Store, SessionMutex>()
const mutexOf = (store: Store) => {
    const known = mutexes.get(store)
    if (known) return known
    const mutex = new SessionMutex(store.lockLease ?? DEFAULT_LOCK_LEASE)
    mutexes.set(store, mutex)
    return mutex
}

/** Logs `message` the first time the returned function is called, then never again. */
const reportOnce = (message: string) => {
    let reported = false
    return () => {
        if (reported) return
        reported = true
        console.error(message)
    }
}

const hasEntries = (object: object) => {
    for (const _ in object) return true
    return false
}

/** Cookies of the session cookie's name tried per request, which bounds a forged header's cost. */
const SAME_NAME_COOKIES = 4

/**
 * Seconds after a login or logout during which a request still carrying the old id is taken
 * for one sent before the browser had its new cookie. Later, the browser itself still holds
 * the old cookie (the response that replaced it was lost): it starts a new session.
 */
const ENDED_GRACE = 60

/** Verified session cookies and page ids, and parsed records, remembered per plugin. */
const CACHE_SIZE = 4096

/**
 * Ended ids remembered per plugin: at least the last half of them, so that each one is kept
 * for its `ENDED_GRACE` up to about 500 logins and logouts a second (about 6 MB when full).
 */
const ENDED_IDS = 65_536

export const createEngine = (config: EngineConfig) => {
    const { store, signer, idleTimeout, absoluteTimeout, refreshAfter, now } = config
    const readCookie = cookieReader(config.cookieName)
    const cookie = sessionCookie(config.cookieName, config.cookie)
    const verifiedIds = new BoundedCache<SessionId>(CACHE_SIZE)
    const verifiedPages = new BoundedCache<string>(CACHE_SIZE)
    /**
     * Session ids this process ended lately (logout, login), and when (seconds). A request still
     * carrying one (sent before the browser had the new cookie, or running when it ended) may not
     * save into it, which would bring it back, nor send its cookie again, which would replace the
     * browser's new one; for `ENDED_GRACE` it is not made a new visitor either, for the same
     * reason. Other processes (several app instances on one Redis) do not know of these ids.
     */
    const endedIds = new BoundedCache<number>(ENDED_IDS)
    /**
     * Whether `session` was ended here: then it saves nothing and sends no cookie, and a change
     * fails. A login whose source session was ended here fails (409) whatever it changed.
     */
    const endedMeanwhile = (session: ScopedSession) => {
        // A login from a session that another login or logout ended (a form sent twice): the
        // preserved keys went with that one, so this one would start the user over.
        const moved = session.movedFrom
        if (moved && endedIds.get(moved.id) !== undefined) throw sessionEndedError()
        if (!session.returning || endedIds.get(session.id.id) === undefined) return false
        session.ended()
        return true
    }
    const seconds = () => Math.floor(now() / 1000)
    /** Seconds this session may still live from `at`. */
    const lifetime = (id: SessionId, at: number) => Math.min(idleTimeout, id.created + absoluteTimeout - at)
    const context = {
        ...config.format,
        maxStateBytes: config.maxStateBytes,
        maxPages: config.maxPages,
        parsed: new BoundedCache<ParsedRecord>(CACHE_SIZE),
        reportLateChange: reportOnce(
            'scopedState: scopedStore was changed after its request was answered (in a generator handler, ' +
                'which streams after it returns, a WebSocket handler, a timer, an onAfterHandle hook added ' +
                'after the plugin?); the change was ignored. Change state in a plain handler or an ' +
                'onBeforeHandle hook. (Reported once.)'
        ),
        reportChangeAfterDestroy: reportOnce(
            'scopedState: scopedStore was changed after destroyScopedSession() in the same request; the change ' +
                'was ignored, since the session ended. To keep a value for the next page (a message after ' +
                'logout), call regenerateScopedSession() after it: the new session starts empty. (Reported once.)'
        )
    }

    /** The cookie the response will send for `session`, `maxAge` 0 to clear it. */
    const planCookie = (session: ScopedSession, request: Request, maxAge: number) => {
        const value = maxAge > 0 ? encodeSessionId(session.id, signer) : ''
        session.cookie = { value, maxAge, secure: cookie.secure(request) }
    }

    /**
     * Sends the planned cookie, once the request's state is saved: a failed request leaves the
     * browser on the session whose state stayed. Ours goes where Elysia sends the app's cookies
     * too, and never onto the handler's own `Response`, which it may return to every visitor:
     * - a `Response` with a `Set-Cookie` of its own may drop `set`'s (Elysia adds one cookie, not
     *   a list): ours goes onto a copy, returned to replace it (a body-less one, such as a
     *   redirect, can be returned again and again; one with a body only once, by Elysia too);
     * - Elysia writes a cookie jar that has entries over `set-cookie` at the end, and one that a
     *   hook of the route uses (even after this) may get some: ours joins the jar, unless the
     *   handler set `set-cookie` itself and the jar is still empty;
     * - else it joins `set-cookie`, which Elysia merges into a returned `Response`.
     */
    const sendCookie = (session: ScopedSession, set: ResponseSet, response: unknown): Response | undefined => {
        const planned = session.cookie
        if (!planned) return undefined
        if (response instanceof Response && response.headers.has('set-cookie')) {
            const copy = new Response(response.body, response)
            copy.headers.append('set-cookie', cookie.header(planned))
            return copy
        }
        const own = set.headers['set-cookie']
        if (set.cookie && (own === undefined || hasEntries(set.cookie))) {
            set.cookie[config.cookieName] = cookie.jarEntry(planned)
            return undefined
        }
        const line = cookie.header(planned)
        set.headers['set-cookie'] = own === undefined ? line : [...(Array.isArray(own) ? own : [own]), line]
        return undefined
    }

    /**
     * Responses in a page scope are `no-store` unless the handler set its own `Cache-Control` (in
     * any case: Elysia would send both). Back/Forward may show a page from the HTTP cache, which
     * would carry its page id with the values it showed then, not the ones that scope holds now.
     */
    const forbidStoring = (session: ScopedSession, set: ResponseSet) => {
        if (!session.pageId) return
        for (const name in set.headers) if (name.toLowerCase() === 'cache-control') return
        set.headers['cache-control'] = 'no-store'
    }

    /** The handler is done: later changes are refused, and a page scope's response is `no-store`. */
    const closeHandling = (session: ScopedSession, set: ResponseSet) => {
        session.answer()
        forbidStoring(session, set)
    }

    /** The request's valid, unexpired session id, or `undefined` for a new session. */
    const currentId = (request: Request, at: number) => {
        const header = request.headers.get('cookie')
        // A stale cookie of our name (another path, a parent domain's) may come before ours.
        for (let nth = 0; nth < SAME_NAME_COOKIES; nth++) {
            const value = readCookie(header, nth)
            if (value === undefined) return undefined
            const id = verifiedIds.get(value) ?? verifiedIds.add(value, Object.freeze(decodeSessionId(value, signer)))
            const ended = id && endedIds.get(id.id)
            if (ended !== undefined && at - ended > ENDED_GRACE) continue
            if (id && at - id.created < absoluteTimeout && at - id.issued < idleTimeout) return id
        }
        return undefined
    }

    /** The page scope's key when `pageId` was issued for session `sessionId`. */
    const pageKeyOf = (pageId: string, sessionId: string) => {
        // The cache key names both: a page id is only valid for the session it was issued to.
        const key = `${sessionId} ${pageId}`
        return verifiedPages.get(key) ?? verifiedPages.add(key, verifyPageId(pageId, sessionId, signer))
    }

    /** Which session and page scope the request names; plans the cookie when it is new or due. */
    const identify = (request: Request, at: number) => {
        const current = currentId(request, at)
        const returning = current !== undefined
        const due = !current || at - current.issued >= refreshAfter
        const id = !current ? newSessionId(at) : due ? { ...current, issued: at } : current
        // A new visitor's page id can only be one of an ended session: its header is enough to tell.
        const named = returning ? requestedPageId(request) : request.headers.get(PAGE_HEADER) || undefined
        const requested = named && returning ? pageKeyOf(named, id.id) : undefined
        let pageKey = requested ?? DEFAULT_PAGE
        let pageId = requested ? (named as string) : ''
        // A request naming a valid page stays on it, so its headers need no page-load check.
        const freshPage = !requested && isPageLoad(request)
        // Read as the default scope, the session's open tabs would share one scope: its page's values are refused.
        if (named && !requested && !freshPage) pageKey = STALE_PAGE
        if (freshPage) ({ key: pageKey, id: pageId } = newPageId(id.id, signer))
        const session = new ScopedSession(context, id, pageKey, pageId, freshPage)
        session.returning = returning
        if (due) planCookie(session, request, lifetime(id, at))
        return session
    }

    const regenerate = (session: ScopedSession, request: Request) => {
        const at = seconds()
        const id = newSessionId(at)
        session.discard ??= session.id.id
        session.moveTo(id)
        session.returning = false
        planCookie(session, request, lifetime(id, at))
    }

    const destroy = (session: ScopedSession, request: Request) => {
        session.discard ??= session.id.id
        session.destroy()
        planCookie(session, request, 0)
    }

    /** Milliseconds the store keeps session `id` from `at` (seconds). */
    const ttlOf = (id: SessionId, at = seconds()) => lifetime(id, at) * 1000
    const paths = config.locking ? lockedPath() : synchronousPath()
    return { ...paths, regenerate, destroy, listenOn: cookie.listenOn }

    function synchronousPath() {
        return {
            open(request: Request): ScopedSession {
                const at = seconds()
                const session = identify(request, at)
                if (session.returning)
                    session.raw = store.load(session.id.id, ttlOf(session.id, at)) as string | undefined
                return session
            },
            commit(session: ScopedSession | undefined, set: ResponseSet, response?: unknown): Response | undefined {
                if (!session) return undefined
                closeHandling(session, set)
                let record = session.serialize()
                if (endedMeanwhile(session)) record = session.serialize()
                if (record !== undefined) {
                    const id = session.id.id
                    const ttl = ttlOf(session.id)
                    // A login carries over the preserved keys as this request loaded them: saved by
                    // another request since (its handler awaited), they would lose that change.
                    const moved = session.movedFrom
                    if (moved && store.load(moved.id, ttl) !== moved.raw) throw collisionError()
                    // Saved by another request since this one loaded (its handler awaited)?
                    const current = session.returning ? (store.load(id, ttl) as string | undefined) : undefined
                    if (current !== session.raw) {
                        session.rebase(current)
                        record = session.serialize()
                    }
                    // Rebased onto the other request's save, this one's changes may amount to nothing.
                    if (record !== undefined) {
                        store.save(id, record, ttl)
                        session.saved(record)
                    }
                }
                if (session.discard) {
                    store.delete(session.discard)
                    endedIds.add(session.discard, seconds())
                }
                return sendCookie(session, set, response)
            },
            /** Nothing to release after a failure: this path holds no lock. */
            abort: undefined
        }
    }

    function lockedPath() {
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
         * The session's next request in this process may go on; `releasing` ends the store's
         * hold too. Nothing to do once this request's hold lapsed: the session, and the
         * store's lock on it in this process, are another request's now.
         */
        const leave = (session: ScopedSession, handling: object, releasing: boolean) => {
            const id = session.locked
            session.locked = undefined
            if (id === undefined || !mutex.holds(id, handling)) return
            if (releasing) releaseStore(id)
            mutex.release(id, handling)
        }
        /**
         * Releases what a request still holds after its response: nothing when it committed;
         * after a failure, the lock, even when the store is down.
         */
        const abort = (session: ScopedSession | undefined, handling: object) => {
            if (!session) return
            session.answer()
            leave(session, handling, true)
        }
        return {
            /** `handling` is this handling of the request (Elysia's `set`), which holds the lock. */
            async open(request: Request, handling: object): Promise<ScopedSession> {
                const at = seconds()
                const session = identify(request, at)
                if (!session.returning) return session
                const id = session.id.id
                await mutex.acquire(id, handling)
                session.locked = id
                try {
                    session.raw = await store.load(id, ttlOf(session.id, at))
                } catch (error) {
                    abort(session, handling)
                    throw error
                }
                return session
            },
            async commit(
                session: ScopedSession | undefined,
                set: ResponseSet,
                response?: unknown
            ): Promise<Response | undefined> {
                if (!session) return undefined
                closeHandling(session, set)
                const id = session.locked
                /** This request still has its turn: once it lapsed, the session and its lock are the next request's. */
                const holding = () => id === undefined || mutex.holds(id, set)
                let record: string | undefined
                try {
                    record = session.serialize()
                    if (endedMeanwhile(session)) record = session.serialize()
                    if ((record !== undefined || session.discard) && !holding())
                        throw new StoreUnavailableError(LOCK_LOST)
                    if (record !== undefined) {
                        await store.save(session.id.id, record, ttlOf(session.id))
                        session.saved(record)
                    }
                    // Checked again after the save's wait: deleting the old id would take the next request's lock.
                    if (session.discard) {
                        if (!holding()) throw new StoreUnavailableError(LOCK_LOST)
                        await store.delete(session.discard)
                        endedIds.add(session.discard, seconds())
                    }
                } catch (error) {
                    abort(session, set)
                    throw error
                }
                const replaced = sendCookie(session, set, response)
                // A save ended the store's hold on the session it wrote; any other hold (nothing
                // written, or regenerated to a new id) ends here.
                leave(session, set, record === undefined || session.id.id !== id)
                return replaced
            },
            abort
        }
    }
}
