/**
 * The request path: cookie → session id → page scope → store, and back.
 *
 * `open` runs before the handler (Elysia `derive`), `commit` after it
 * (`onAfterHandle`), `release` on error (`onError`) and `abort` after the response
 * (`onAfterResponse`) to release what a failed request still holds. A new visitor touches
 * no store until it writes. A returning session's requests are kept apart in one of two ways:
 * - locking (asynchronous stores such as Redis, or `serializeRequests`): one request at
 *   a time per session (locked-path.ts);
 * - otherwise (memory, SQLite): no waiting at all, and a request whose session was saved
 *   by another meanwhile rebases its changes onto that record (synchronous-path.ts).
 * Both share what is built here: who the request is (identify.ts), the ids that logins
 * and logouts ended, and what the response carries (response-headers.ts).
 */
import { BoundedCache } from './bounded-cache.js'
import type { SessionCookie } from './cookie.js'
import { APP_END_AGE, endedIdsOf, latestIssueOf, pastGrace, rememberEnd } from './ended-ids.js'
import { isPromise, ScopedStateSetupError, SessionEndedError, storeContractError } from './errors.js'
import { sessionIdentifier } from './identify.js'
import { lockedPath } from './locked-path.js'
import type { RecordFormat } from './record.js'
import { cookieSender, forbidStoring, type ResponseSet } from './response-headers.js'
import type { ScopedSession } from './session.js'
import { encodeSessionId, isSessionId, newSessionId, type SessionId, takenUntil } from './session-id.js'
import type { ParsedRecord } from './shared-parse.js'
import type { Signer } from './signer.js'
import { snapshotOf } from './snapshot.js'
import { type EndedSession, SESSION_ENDED, type Store } from './store.js'
import { synchronousPath } from './synchronous-path.js'

interface EngineConfig {
    /** The setup's keys and version. */
    format: RecordFormat
    store: Store
    signer: Signer
    cookieName: string
    /** The session cookie's writer, made (and its attributes checked) with the plugin. */
    cookie: SessionCookie
    idleTimeout: number
    absoluteTimeout: number
    refreshAfter: number
    maxStateBytes: number
    maxPages: number
    now: () => number
    /** One request at a time per session (always so for asynchronous stores). */
    locking: boolean
}

/** What the plugin's hooks call: one of the two paths. */
export interface RequestPath {
    /** Before the handler. `handling` is this handling of the request (Elysia's `set`), which may hold a lock. */
    open(request: Request, handling: object): ScopedSession | Promise<ScopedSession>
    /** After the handler: saves, then sends the cookie; returns a `Response` to replace the handler's, if any. */
    commit(
        session: ScopedSession | undefined,
        set: ResponseSet,
        response?: unknown
    ): Response | undefined | Promise<Response | undefined>
    /**
     * After the response, when the path can hold something that a failed request must release:
     * the request is answered (a later change is reported), and what it holds is released.
     */
    abort: ((session: ScopedSession | undefined, handling: object) => void) | undefined
    /**
     * On error, with `abort`: releases what the request holds, but does not mark it answered, as
     * the app's own error hooks still run. When none answers, Elysia runs after-response hooks
     * only once the response is out, or for some errors not at all.
     */
    release: ((session: ScopedSession | undefined, handling: object) => void) | undefined
}

/** What both paths are built from. */
export interface EngineCore {
    store: Store
    /** The request's session and page scope, its cookie planned when it is new or due. */
    identify: (request: Request, at: number) => ScopedSession
    /** The plugin's clock, in seconds. */
    seconds: () => number
    /** Milliseconds the store keeps session `id` from `at` (seconds, by default now): a whole number, at least 1. */
    ttlOf: (id: SessionId, at?: number) => number
    /** The handler is done: later changes are refused, and a page scope's response is `no-store`. */
    closeHandling: (session: ScopedSession, set: ResponseSet) => void
    /**
     * Whether `session` ended while its request ran or just before (a login or logout, here or,
     * as the store told, in another process): if so, it is made to save nothing and send no cookie
     * (`ScopedSession.treatAsEnded`, which fails a change with 409). A login whose source session ended,
     * or whose new id the app ended meanwhile (`end`), fails (409) whatever it changed; a logout's
     * new session (destroyed, then regenerated) goes on.
     */
    endedMeanwhile: (session: ScopedSession) => boolean
    /**
     * The store refused `session`'s save with `error`: when it is `SessionEndedError` (another process
     * ended the session between this request's load and its save), a request that changed nothing
     * itself (a page load, a reset) saves nothing and goes on, as in the process that ended it
     * (`ScopedSession.treatAsEnded`); any other error, a change, or a login, throws.
     */
    endedAtSave: (session: ScopedSession, error: unknown) => void
    /** Session `id` was deleted at a login or logout: remembered as ended now, unless it was already (`rememberEnd`). */
    markEnded: (id: string) => void
    /**
     * The record `store.load` answered for `session`, just now. One that another process ended
     * reads as no record, and is ended for this request as if this process had ended it; told
     * when (`endedAgo`), this process remembers the end as its own, counted back from now (not
     * from when the request came: its load may have waited for the session's lock), so that its
     * later requests, like that process's, start a new session once the grace has passed.
     * Any other answer (not a string, `undefined`, `SESSION_ENDED` nor an `endedAgo` of a number)
     * throws (`storeContractError`).
     */
    loaded: (
        session: ScopedSession,
        answer: string | undefined | typeof SESSION_ENDED | EndedSession,
        /** The id loaded: the session's, or the one a login moved it from. */
        id: string
    ) => string | undefined
    /**
     * Whether `session`'s request must start a new session instead: its session ended since
     * `identify` let it through (while it waited for its turn: by the app here, or in another
     * process, as the store said in `loaded`), and at `at`, the time `identify` was given, that
     * end is past its grace (an app's end is dated back). `open` then calls `identify` again with
     * the same `at`, which now passes that cookie over (`pastGrace`), so no cookie is loaded twice.
     */
    startsOver: (session: ScopedSession, at: number) => boolean
    /**
     * Deleting `session.discard.id`, the record a login or logout left, failed with `error`: throws
     * it, or only warns. A logout (`destroyScopedSession()`, even followed by a regeneration)
     * fails: the user is still signed in. A login (a regeneration alone) whose new session is
     * `saved` does not: the store may have run the delete and lost its answer (Redis), and
     * failing would leave the browser on the old id with nothing under it. The old record then
     * keeps what the session held before the login until it expires (kept alive by any use of
     * its id in another process; this one refuses it).
     */
    discardFailed: (error: unknown, session: ScopedSession, saved: boolean) => void
    sendCookie: (session: ScopedSession, set: ResponseSet, response: unknown) => Response | undefined
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

/** Parsed records remembered per plugin. */
const PARSED_RECORDS = 4096

export const createEngine = (config: EngineConfig) => {
    const { store, signer, idleTimeout, absoluteTimeout, now, cookie } = config
    /**
     * Session ids ended lately (logout, login), and when (seconds): by this process (`markEnded`),
     * or by another one, as a store shared by several told (`loaded`). A request still carrying
     * one (sent before the browser had the new cookie, or running when it ended) may not save into
     * it, which would bring it back, nor send its cookie again, which would replace the browser's
     * new one; for a grace minute it is not made a new visitor either, for the same reason.
     */
    const endedIds = endedIdsOf(store)
    const latestIssue = latestIssueOf(store)
    /** The longest a cookie is taken from when it was issued (seconds). */
    const cookieLife = Math.min(idleTimeout, absoluteTimeout)
    /**
     * Until when (seconds) a cookie issued through this store object ahead of the clock at `at`
     * (set back since) may be taken, else 0: a later copy than the one a login brought may be one.
     */
    const issuedAhead = (at: number) => {
        if (latestIssue.at <= at) return 0
        // Counted from no further ahead than a cookie's life: after a clock that ran far ahead once
        // (a server started a year off, then corrected), every mark would be kept that long.
        return Math.min(latestIssue.at, at + cookieLife) + cookieLife
    }
    const endedMeanwhile = (session: ScopedSession) => {
        const moved = session.movedFrom
        if (moved) {
            // A login from a session that another login or logout ended (a form sent twice): the
            // preserved keys went with that one, so this one would start the user over. Or one whose
            // new id, handed to the app (`scopedSessionId()`) and recorded with the account, another
            // request ended before this commit (`endScopedSession`): saved, its record would outlive
            // the end, and read as signed in again once this process forgets the end (a restart: SQLite
            // reads a record before any mark).
            // A logout's new session (a message for the next page) carries nothing over: it goes
            // on, as a plain logout of an ended session does, unless its new id, handed to the app
            // (another user signing in on that browser), was ended meanwhile: that login fails too.
            const ended = session.loggedOut
                ? session.idHandedOut && endedIds.get(session.id.id) !== undefined
                : session.endedElsewhere ||
                  endedIds.get(moved.id) !== undefined ||
                  endedIds.get(session.id.id) !== undefined
            if (ended) throw new SessionEndedError()
            return false
        }
        // A new visitor's id only once handed to the app (`scopedSessionId()`): nothing else can end it.
        const ended =
            session.endedElsewhere ||
            ((session.returning || session.idHandedOut) && endedIds.get(session.id.id) !== undefined)
        if (!ended) return false
        session.treatAsEnded()
        return true
    }
    const seconds = () => Math.floor(now() / 1000)
    /** Seconds this session may still live from `at`. */
    const lifetime = (id: SessionId, at: number) => Math.min(idleTimeout, id.created + absoluteTimeout - at)
    const context = {
        ...config.format,
        maxStateBytes: config.maxStateBytes,
        maxPages: config.maxPages,
        parsed: new BoundedCache<ParsedRecord>(PARSED_RECORDS),
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
        ),
        reportPageChangeAfterLogin: reportOnce(
            'scopedState: a key without preserve was changed after regenerateScopedSession() in the same request; ' +
                "the change was ignored, since the page's id belongs to the session that ended. To carry a page's " +
                'values across a login, copy them into a preserved key before it. (Reported once.)'
        )
    }

    /**
     * The cookie the response will send for `session`, `maxAge` 0 to clear it. One that ends
     * with the browser goes without `Max-Age`: its session still ends at `maxAge` here.
     */
    const planCookie = (session: ScopedSession, request: Request, maxAge: number) => {
        const kept = maxAge > 0
        if (kept && session.id.issued > latestIssue.at) latestIssue.at = session.id.issued
        session.cookie = {
            value: kept ? encodeSessionId(session.id, signer) : '',
            maxAge: kept && !session.id.persistent ? undefined : maxAge,
            secure: cookie.secure(request)
        }
    }

    /**
     * Plans what the commit does with the id a login or logout ends: delete it from the store,
     * then remember it as ended (`markEnded`). Only one a cookie brought: a new visitor's id was
     * never sent, and remembering it would let a flood of cookieless logins push out the ids that
     * logouts ended, which must stay refused.
     */
    const discardAtCommit = (session: ScopedSession, id: SessionId) => {
        if (!session.returning || session.discard) return
        // With how long its cookies may still be sent: a shared store remembers the end that long. The
        // one the request brought, or one before it, issued ahead of this clock (set back), is taken
        // till its own idle timeout: past the refreshed id's, which counts from now. A mark gone
        // before it would let another process (a restarted one) take the ended id back.
        const at = seconds()
        const taken =
            Math.max(takenUntil(session.brought as SessionId, idleTimeout, absoluteTimeout), issuedAhead(at)) - at
        session.discard = { id: id.id, ttl: Math.max(core.ttlOf(id, at), taken * 1000) }
    }

    const regenerate = (session: ScopedSession, request: Request, persistent = session.id.persistent) => {
        const at = seconds()
        const id = newSessionId(at, persistent)
        const from = session.id
        session.moveTo(id)
        discardAtCommit(session, from)
        session.returning = false
        planCookie(session, request, lifetime(id, at))
    }

    const destroy = (session: ScopedSession, request: Request) => {
        discardAtCommit(session, session.id)
        session.loggedOut = true
        session.destroy()
        planCookie(session, request, 0)
    }

    /**
     * Ends session `id`, not the request's own: remembered here as ended past its grace (no new
     * cookie is on its way to that browser, so its next request starts a new session at once, and
     * one still running saves nothing), then deleted with a mark for as long as its cookie may be
     * sent, dated as far back, which the other processes sharing the store read (`endedAgo`): past
     * its grace there too. An end known already (a logout's grace minute) keeps its time.
     */
    const end = (session: ScopedSession, id: string) => {
        if (!isSessionId(id)) throw new TypeError('endScopedSession: not a session id.')
        if (id === session.id.id || id === session.movedFrom?.id)
            throw new TypeError(
                "endScopedSession: this is the request's own session, or the one its login left: " +
                    'destroyScopedSession() ends the first, and the login already ends the second.'
            )
        const at = seconds()
        rememberEnd(endedIds, id, at - APP_END_AGE)
        const taken = Math.max(at + cookieLife, issuedAhead(at)) - at
        return store.delete(id, taken * 1000, APP_END_AGE * 1000)
    }

    /** What `store.peek` answered for a session, as the app gets it (`undefined`: no state held). */
    const snapshot = (answer: unknown) => {
        if (answer === undefined) return undefined
        if (typeof answer !== 'string') throw storeContractError('peek', answer)
        return snapshotOf(answer, config.format)
    }

    /**
     * Reads session `id`'s state as stored, without using the session (store.ts, `peek`): the
     * request's own session too, without the changes its handler made.
     */
    const peek = (id: string) => {
        if (!isSessionId(id)) throw new TypeError('peekScopedSession: not a session id.')
        if (!store.peek)
            throw new ScopedStateSetupError(
                'peekScopedSession: the store has no peek(id) method, which reads a session without using it ' +
                    '(store.ts, `peek`).'
            )
        const answer = store.peek(id)
        return isPromise(answer) ? Promise.resolve(answer).then(snapshot) : snapshot(answer)
    }

    const core: EngineCore = {
        store,
        identify: sessionIdentifier({ ...config, context, endedIds, lifetime, planCookie }),
        seconds,
        // At least 1: a request that ran past `absoluteTimeout` commits with none left.
        ttlOf: (id, at = seconds()) => Math.max(1, lifetime(id, at) * 1000),
        closeHandling(session, set) {
            session.markAnswered()
            forbidStoring(session, set)
        },
        endedMeanwhile,
        endedAtSave(session, error) {
            if (!(error instanceof SessionEndedError) || session.movedFrom) throw error
            session.treatAsEnded()
        },
        markEnded: (id) => rememberEnd(endedIds, id, seconds()),
        loaded(session, answer, id) {
            if (typeof answer === 'string') return answer
            if (answer === undefined) return undefined
            if (answer !== SESSION_ENDED) {
                const ago = typeof answer === 'object' && answer !== null ? answer[SESSION_ENDED] : undefined
                if (typeof ago !== 'number' || Number.isNaN(ago)) throw storeContractError('load', answer)
                // Below 0, a clock set back (the store's, or the ending process's writing its own): just now.
                rememberEnd(endedIds, id, seconds() - Math.floor(Math.max(0, ago) / 1000))
            }
            session.endedElsewhere = true
            return undefined
        },
        // Without locking nothing runs between `identify` and the load: only the store's answer can have ended it.
        startsOver: (session, at) =>
            (session.endedElsewhere || config.locking) && pastGrace(endedIds.get(session.id.id), at),
        discardFailed(error, session, saved) {
            if (session.loggedOut || !saved) throw error
            console.warn(
                `scopedState: a login saved its new session, but deleting the old one failed (${(error as Error).message}); it expires by itself.`
            )
        },
        sendCookie: cookieSender(config.cookieName, cookie)
    }
    const path = config.locking ? lockedPath(core) : synchronousPath(core)
    return { ...path, regenerate, destroy, end, peek, listenOn: cookie.listenOn }
}
