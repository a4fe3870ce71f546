/**
 * Which session and page scope a request names: its cookie and page id, each verified
 * once (then remembered) and checked for expiry on every request. A request without a
 * valid cookie gets a new id here, and touches no store until it writes.
 */
import { BoundedCache } from './bounded-cache.js'
import { cookieReader } from './cookie.js'
import { type EndedIds, pastGrace } from './ended-ids.js'
import { DEFAULT_PAGE, newPageId, STALE_PAGE, verifyPageId } from './page-id.js'
import { isPageLoad, PAGE_HEADER, replacedPageId, requestedPageId } from './page-load.js'
import { ScopedSession, type SessionContext } from './session.js'
import { decodeSessionId, newSessionId, reissue, type SessionId } from './session-id.js'
import type { Signer } from './signer.js'

/** Cookies of the session cookie's name tried per request, which bounds a forged header's cost. */
const SAME_NAME_COOKIES = 4

/** Verified session cookies and page ids remembered per plugin. */
const VERIFIED_VALUES = 4096

interface IdentifyConfig {
    signer: Signer
    cookieName: string
    idleTimeout: number
    absoluteTimeout: number
    refreshAfter: number
    /** What the sessions created here are given. */
    context: SessionContext
    /** Ids ended lately, here or (as the store told) in another process, and when (seconds). */
    endedIds: EndedIds
    /** Seconds session `id` may still live from `at`. */
    lifetime: (id: SessionId, at: number) => number
    /** Plans the cookie the response will send for `session`. */
    planCookie: (session: ScopedSession, request: Request, maxAge: number) => void
}

/**
 * Returns `identify(request, at)`: the request's session, with its page scope, and its
 * cookie planned when the id is new or due to be sent again (`refreshAfter`).
 */
export const sessionIdentifier = (config: IdentifyConfig) => {
    const { signer, idleTimeout, absoluteTimeout, refreshAfter, context, endedIds, lifetime, planCookie } = config
    /**
     * Seconds ahead of this clock past which a cookie is sent again at once, with times no later
     * than now. That is this clock set back (a server that started with a wrong one): else the
     * browser would drop the cookie (its `Max-Age`) before its refresh came due, past
     * `idleTimeout - refreshAfter`, and `absoluteTimeout` would count from a creation time still
     * to come. Nearer, this clock may be the one behind another instance's: re-signed with it,
     * the session would end early there. So instances whose clocks differ by up to this (with
     * the defaults, `refreshAfter`: an hour) cost nothing.
     */
    const resendAhead = Math.min(refreshAfter, idleTimeout - refreshAfter)
    const readCookie = cookieReader(config.cookieName)
    const verifiedIds = new BoundedCache<SessionId>(VERIFIED_VALUES)
    const verifiedPages = new BoundedCache<string>(VERIFIED_VALUES)

    /** The request's valid, unexpired session id, or `undefined` for a new session. */
    const currentId = (request: Request, at: number) => {
        const header = request.headers.get('cookie')
        // A stale cookie of our name (another path, a parent domain's) may come before ours.
        for (let nth = 0; nth < SAME_NAME_COOKIES; nth++) {
            const value = readCookie(header, nth)
            if (value === undefined) return undefined
            const id = verifiedIds.get(value) ?? verifiedIds.add(value, Object.freeze(decodeSessionId(value, signer)))
            if (id && pastGrace(endedIds.get(id.id), at)) continue
            if (id && at - id.created < absoluteTimeout && at - id.issued < idleTimeout) return id
        }
        return undefined
    }

    /** The page scope's key when `pageId` was issued for session `sessionId`, else `undefined`. */
    const pageKeyOf = (pageId: string, sessionId: string) => {
        // The cache key names both: a page id is only valid for the session it was issued to.
        const key = `${sessionId} ${pageId}`
        return verifiedPages.get(key) ?? verifiedPages.add(key, verifyPageId(pageId, sessionId, signer))
    }

    return (request: Request, at: number) => {
        const current = currentId(request, at)
        const returning = current !== undefined
        const due = !current || at - current.issued >= refreshAfter || current.issued - at > resendAhead
        const id = !current ? newSessionId(at) : due ? reissue(current, at) : current
        // A new visitor's page id can only be one of an ended session: its header is enough to tell.
        const namedPageId = returning ? requestedPageId(request) : request.headers.get(PAGE_HEADER) || undefined
        const namedPageKey = namedPageId && returning ? pageKeyOf(namedPageId, id.id) : undefined
        let pageKey = namedPageKey ?? DEFAULT_PAGE
        let pageId = namedPageKey ? (namedPageId as string) : ''
        // A request naming a valid page stays on it, so its headers need no page-load check.
        const freshPage = !namedPageKey && isPageLoad(request)
        // Read as the default scope, the session's open tabs would share one scope: its page's values are refused.
        if (namedPageId && !namedPageKey && !freshPage) pageKey = STALE_PAGE
        if (freshPage) ({ key: pageKey, id: pageId } = newPageId(id.id, signer))
        const replaced = freshPage && returning ? replacedPageId(request) : undefined
        const replacedKey = replaced ? pageKeyOf(replaced, id.id) : undefined
        const session = new ScopedSession(context, id, pageKey, pageId, freshPage, replacedKey)
        session.returning = returning
        session.brought = current
        if (pageKey === STALE_PAGE && !returning)
            session.cookieMissing = readCookie(request.headers.get('cookie'), 0) === undefined
        if (due) planCookie(session, request, lifetime(id, at))
        return session
    }
}
