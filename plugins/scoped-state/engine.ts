/**
 * The request path: cookie → session id → page scope → store, and back.
 *
 * `open` runs before the handler (Elysia `derive`), `commit` after it
 * (`onAfterHandle`), `abort` when anything failed (`onError`). Each request of a
 * returning session holds that session's lock from `open` to `commit`/`abort`;
 * a new visitor holds nothing and touches no store until it writes.
 */
import type { Context } from 'elysia'
import { type CookieAttributes, cookieReader, sessionCookie } from './cookie'
import { SessionMutex } from './mutex'
import { DEFAULT_PAGE, newPageId, verifyPageId } from './page-id'
import { isPageLoad, requestedPageId } from './page-load'
import type { Field } from './schema'
import { ScopedSession } from './session'
import { decodeSessionId, encodeSessionId, newSessionId, type SessionId } from './session-id'
import type { Signer } from './signer'
import type { MaybePromise, Store } from './store'

export interface EngineConfig {
    fields: Map<string, Field>
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
}

type Set = Context['set']

const after = <T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> =>
    value instanceof Promise ? value.then(next) : next(value)

export const createEngine = (config: EngineConfig) => {
    const { store, signer, idleTimeout, absoluteTimeout, refreshAfter, now } = config
    const mutex = new SessionMutex()
    const readCookie = cookieReader(config.cookieName)
    const makeCookie = sessionCookie(config.cookieName, config.cookie)
    const seconds = () => Math.floor(now() / 1000)
    /** Seconds this session may still live from `at`. */
    const lifetime = (id: SessionId, at: number) => Math.min(idleTimeout, id.created + absoluteTimeout - at)

    const context = {
        fields: config.fields,
        maxStateBytes: config.maxStateBytes,
        maxPages: config.maxPages
    }

    const sendCookie = (request: Request, set: Set, id: SessionId, maxAge: number) => {
        set.cookie ??= {}
        set.cookie[config.cookieName] = makeCookie(request, maxAge > 0 ? encodeSessionId(id, signer) : '', maxAge)
    }

    /** The request's valid, unexpired session id, or `undefined` for a new session. */
    const currentId = (request: Request, at: number) => {
        const value = readCookie(request.headers.get('cookie'))
        const id = value ? decodeSessionId(value, signer) : undefined
        if (!id || at - id.created >= absoluteTimeout || at - id.issued >= idleTimeout) return undefined
        return id
    }

    const release = (session: ScopedSession) => {
        const id = session.locked
        if (id === undefined) return undefined
        session.locked = undefined
        return after(store.release(id), () => mutex.release(id))
    }

    /** Releases after a failure; a store that is down must not keep the session locked here. */
    const abort = (session: ScopedSession | undefined) => {
        const id = session?.locked
        if (!session || id === undefined) return
        session.locked = undefined
        mutex.release(id)
        try {
            const released = store.release(id)
            if (released instanceof Promise) released.catch(() => {})
        } catch {}
    }

    const load = (session: ScopedSession, ttl: number) => {
        try {
            const raw = store.load(session.id.id, ttl)
            if (!(raw instanceof Promise)) return raw
            return raw.catch((error) => {
                abort(session)
                throw error
            })
        } catch (error) {
            abort(session)
            throw error
        }
    }

    const open = (request: Request, set: Set): MaybePromise<ScopedSession> => {
        const at = seconds()
        let id = currentId(request, at)
        const returning = id !== undefined
        if (!id || at - id.issued >= refreshAfter) {
            id = id ? { ...id, issued: at } : newSessionId(at)
            sendCookie(request, set, id, lifetime(id, at))
        }

        const pageLoad = isPageLoad(request)
        const named = returning ? requestedPageId(request) : undefined
        const requested = verifyPageId(named, id.id, signer)
        let pageKey = requested ?? DEFAULT_PAGE
        let pageId = requested ? (named as string) : ''
        const freshPage = pageLoad && !requested
        if (freshPage) ({ key: pageKey, id: pageId } = newPageId(id.id, signer))

        const session = new ScopedSession(context, id, pageKey, pageId, undefined, freshPage)
        if (!returning) return session
        const sessionId = id.id
        const ttl = lifetime(id, at) * 1000
        return after(mutex.acquire(sessionId), () => {
            session.locked = sessionId
            return after(load(session, ttl), (raw) => {
                session.raw = raw
                return session
            })
        })
    }

    const commit = (session: ScopedSession | undefined): MaybePromise<void> => {
        if (!session) return
        let record: string | undefined
        try {
            record = session.serialize()
        } catch (error) {
            abort(session)
            throw error
        }
        const discard = session.discard
        const ttl = lifetime(session.id, seconds()) * 1000
        const saved = record === undefined ? undefined : store.save(session.id.id, record, ttl)
        return after(saved, () => after(discard ? store.delete(discard) : undefined, () => release(session)))
    }

    const regenerate = (session: ScopedSession, request: Request, set: Set) => {
        const at = seconds()
        const id = newSessionId(at)
        if (session.raw !== undefined) session.discard = session.id.id
        session.moveTo(id)
        sendCookie(request, set, id, lifetime(id, at))
    }

    const destroy = (session: ScopedSession, request: Request, set: Set) => {
        if (session.raw !== undefined) session.discard = session.id.id
        session.destroy()
        sendCookie(request, set, session.id, 0)
    }

    return { open, commit, abort, regenerate, destroy }
}
