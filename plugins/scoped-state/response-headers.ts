/**
 * What the plugin adds to a response: the session cookie, once the request's state is
 * saved, and `no-store` on the responses of a page scope.
 */
import type { Context } from 'elysia'
import type { SessionCookie } from './cookie.js'
import type { ScopedSession } from './session.js'

/** Elysia's response headers and cookie jar for the request. */
export type ResponseSet = Context['set']

const hasEntries = (object: object) => {
    for (const _ in object) return true
    return false
}

/**
 * Returns the function that sends a session's planned cookie. A failed request never gets
 * here, which leaves the browser on the session whose state stayed. Ours goes where Elysia
 * sends the app's cookies too, and never onto the handler's own `Response`, which it may
 * return to every visitor:
 * - a `Response` with a `Set-Cookie` of its own may drop `set`'s (Elysia adds one cookie, not
 *   a list): ours goes onto a copy, returned to replace it (a body-less one, such as a
 *   redirect, can be returned again and again; one with a body only once, by Elysia too);
 * - Elysia writes a cookie jar that has entries over `set-cookie` at the end, and one that a
 *   hook of the route uses (even after this) may get some: ours joins the jar, unless the
 *   handler set `set-cookie` itself and the jar is still empty;
 * - else it joins `set-cookie`, which Elysia merges into a returned `Response`.
 */
export const cookieSender =
    (name: string, cookie: SessionCookie) =>
    (session: ScopedSession, set: ResponseSet, response: unknown): Response | undefined => {
        const planned = session.cookie
        if (!planned) return undefined
        if (response instanceof Response && response.headers.has('set-cookie')) {
            const copy = new Response(response.body, response)
            copy.headers.append('set-cookie', cookie.header(planned))
            return copy
        }
        const own = set.headers['set-cookie']
        if (set.cookie && (own === undefined || hasEntries(set.cookie))) {
            set.cookie[name] = cookie.jarEntry(planned)
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
export const forbidStoring = (session: ScopedSession, set: ResponseSet) => {
    if (!session.pageId) return
    for (const name in set.headers) if (name.toLowerCase() === 'cache-control') return
    set.headers['cache-control'] = 'no-store'
}
