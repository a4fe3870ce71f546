/**
 * What the plugin adds to a response: the session cookie, once the request's state is
 * saved; `no-store` on the responses of a page scope whose route sets no `Cache-Control`,
 * and on those that carry the cookie, added to the route's own unless that says `private`
 * or `no-store` already.
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

/** The name `headers` gives `Cache-Control`, in whatever case the handler wrote it (Elysia would send both). */
const cacheControlName = (headers: ResponseSet['headers']) => {
    for (const name in headers) if (name.toLowerCase() === 'cache-control') return name
    return undefined
}

/** A `Cache-Control` that keeps shared caches off: `no-store`, or `private` (not `private="…"`, which names fields only). */
const UNSHARED = /(?:^|,)\s*(?:no-store|private)\s*(?:,|$)/i

/**
 * The `Cache-Control` a response carrying the session cookie goes out with, when `value` would
 * let a shared cache (a proxy, a CDN) keep it: one that did would hand this session to every
 * visitor it served the copy to. Without one, a cache may still keep a 200 (RFC 9111's heuristic
 * freshness). The handler's directives stay: `no-store` overrides them (`public`, `s-maxage`).
 * `undefined` when `value` already keeps shared caches off.
 */
const unstorable = (value: string | undefined) =>
    value === undefined ? 'no-store' : UNSHARED.test(value) ? undefined : `${value}, no-store`

/**
 * Returns the function that sends a session's planned cookie. A failed request never gets
 * here, which leaves the browser on the session whose state stayed. Ours goes where Elysia
 * sends the app's cookies too, and never onto the handler's own `Response`, which it may
 * return to every visitor:
 * - a `Response` with a `Set-Cookie` of its own may drop `set`'s (Elysia adds one cookie, not
 *   a list): ours goes onto a copy, returned to replace it (a body-less one, such as a
 *   redirect, can be returned again and again; one with a body only once, by Elysia too);
 *   so does `no-store`, on a `Response` whose own `Cache-Control` Elysia keeps over `set`'s;
 * - Elysia writes a cookie jar that has entries over `set-cookie` at the end, and one that a
 *   hook of the route uses (even after this) may get some: ours joins the jar, unless the
 *   handler set `set-cookie` itself and the jar is still empty;
 * - else it joins `set-cookie`, which Elysia merges into a returned `Response`.
 * Only the responses that carry the cookie are `no-store` (`unstorable`): the route's later
 * ones, without it, are cached as the handler says.
 */
export const cookieSender =
    (name: string, cookie: SessionCookie) =>
    (session: ScopedSession, set: ResponseSet, response: unknown): Response | undefined => {
        const planned = session.cookie
        if (!planned) return undefined
        const cacheName = cacheControlName(set.headers) ?? 'cache-control'
        const cacheControl = unstorable(set.headers[cacheName]?.toString())
        if (cacheControl) set.headers[cacheName] = cacheControl
        let replaced: Response | undefined
        if (response instanceof Response) {
            const ownCache = response.headers.get('cache-control')
            const keptCache = ownCache === null ? undefined : unstorable(ownCache)
            const ownCookies = response.headers.has('set-cookie')
            if (ownCookies || keptCache) {
                replaced = new Response(response.body, response)
                if (keptCache) replaced.headers.set('cache-control', keptCache)
                if (ownCookies) {
                    replaced.headers.append('set-cookie', cookie.header(planned))
                    return replaced
                }
            }
        }
        const own = set.headers['set-cookie']
        if (set.cookie && (own === undefined || hasEntries(set.cookie))) {
            set.cookie[name] = cookie.jarEntry(planned)
            return replaced
        }
        const line = cookie.header(planned)
        set.headers['set-cookie'] = own === undefined ? line : [...(Array.isArray(own) ? own : [own]), line]
        return replaced
    }

/**
 * Responses in a page scope are `no-store` unless the handler set its own `Cache-Control` (in
 * any case: Elysia would send both). Back/Forward may show a page from the HTTP cache, which
 * would carry its page id with the values it showed then, not the ones that scope holds now.
 */
export const forbidStoring = (session: ScopedSession, set: ResponseSet) => {
    if (!session.pageId || cacheControlName(set.headers)) return
    set.headers['cache-control'] = 'no-store'
}
