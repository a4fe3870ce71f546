/**
 * The session cookie on the wire. Reading scans the raw `Cookie` header for one
 * name instead of parsing every cookie: it is faster, and Elysia's cookie jar turns
 * JSON-looking or numeric values into objects and numbers, which an id must never be.
 */
import { ScopedStateSetupError } from './errors.js'

/** Attributes of the session cookie. `HttpOnly` is always set. */
export interface CookieAttributes {
    /** @default '/' */
    path?: string | undefined
    /** Omitted by default, so the cookie stays on this host. @default undefined */
    domain?: string | undefined
    /** @default 'lax' */
    sameSite?: 'lax' | 'strict' | 'none' | undefined
    /**
     * `'auto'` sets `Secure` when the request came over https (its URL, or a proxy's
     * `X-Forwarded-Proto: https` or `Forwarded: proto=https`). A `__Host-` or `__Secure-`
     * name always gets `Secure`, and so does `sameSite: 'none'`: browsers refuse them without it.
     * @default 'auto'
     */
    secure?: boolean | 'auto' | undefined
}

const SPACE = 32
const SEMICOLON = 59

/**
 * A function returning the value of the `nth` (from 0) cookie named `name` in a `Cookie`
 * header: a browser sends one per matching path and domain, the longest path first.
 */
export const cookieReader = (name: string) => {
    const needle = `${name}=`
    return (header: string | null, nth: number): string | undefined => {
        if (!header) return undefined
        let at = header.indexOf(needle)
        let seen = 0
        while (at !== -1) {
            let before = at - 1
            while (before >= 0 && header.charCodeAt(before) === SPACE) before--
            if ((before < 0 || header.charCodeAt(before) === SEMICOLON) && seen++ === nth) {
                const start = at + needle.length
                const end = header.indexOf(';', start)
                return header.slice(start, end === -1 ? undefined : end).trim()
            }
            at = header.indexOf(needle, at + 1)
        }
        return undefined
    }
}

// What a cookie name, path and domain may be: the rules of the `cookie` package, which
// Elysia's jar applies on every response, checked here once.
const NAME = /^[\u0021-\u003A\u003C\u003E-\u007E]+$/
const PATH = /^[\u0020-\u003A\u003D-\u007E]*$/
const DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i

const keepAsIs = (value: string) => value

/**
 * Whether a proxy says the browser's request came over https. Each proxy on the way appends
 * its own value, so the first one is the browser-facing proxy's, provided that proxy replaces
 * what the browser itself sent. A browser that sends its own can only change the `Secure` flag
 * of its own cookie.
 */
const forwardedHttps = (headers: Headers) => {
    const proto = headers.get('x-forwarded-proto')
    if (proto !== null) return /^\s*https\s*(,|$)/i.test(proto)
    const forwarded = headers.get('forwarded')
    return forwarded !== null && /^[^,]*\bproto="?https"?\s*(;|,|$)/i.test(forwarded)
}

/**
 * Whether the browser's request came over https: its proxy says so, or its own URL does. For
 * a CSRF check, which compares the request's `Origin`, scheme included, with the app's own.
 *
 * @example
 * const own = `${cameOverHttps(request) ? 'https' : 'http'}://${request.headers.get('host')}`
 */
export const cameOverHttps = (request: Request) => forwardedHttps(request.headers) || request.url.startsWith('https:')

/** The session cookie as this request sends it: what a `Set-Cookie` line is made of. */
export interface SentCookie {
    value: string
    /** Seconds; `undefined` for a cookie that ends with the browser. */
    maxAge: number | undefined
    secure: boolean
}

/**
 * Writes the session cookie. The `Set-Cookie` line is built here, once per plugin for its
 * fixed part, instead of through Elysia's cookie jar, whose serializer cost a new
 * visitor's request more than the rest of the plugin. The jar writes its own cookies over
 * `set-cookie`, so a route whose hooks use the jar gets ours as a jar entry instead.
 * Names, paths and domains are checked once, when the plugin is created.
 */
export const sessionCookie = (name: string, attributes: CookieAttributes) => {
    // Browsers read the prefixes in any case (RFC 6265bis): `__host-sid` must meet `__Host-`'s rules.
    const hostOnly = /^__host-/i.test(name)
    const secureOnly = hostOnly || /^__secure-/i.test(name)
    // Dropped without a word, the domain would leave a sign-in meant for every subdomain on this host alone.
    if (hostOnly && attributes.domain !== undefined)
        throw new ScopedStateSetupError(
            `scopedState: a __Host- cookie ('${name}') stays on its host, so it cannot have a domain ('${attributes.domain}'). ` +
                'To share the session with subdomains, give it a __Secure- name (__Secure-session); else leave cookie.domain out.'
        )
    // Widened without a word, the path would let two apps under paths of one host replace each other's cookie.
    if (hostOnly && attributes.path !== undefined && attributes.path !== '/')
        throw new ScopedStateSetupError(
            `scopedState: a __Host- cookie ('${name}') is sent to every path of its host, so it cannot have the path '${attributes.path}'. ` +
                'Give each app under a path of this host a cookie name of its own (__Host-session-shop); else leave cookie.path out.'
        )
    const path = attributes.path ?? '/'
    const domain = attributes.domain
    const sameSite = attributes.sameSite ?? 'lax'
    // Without `Secure` (a request that came over http, as a proxy that sends no X-Forwarded-Proto
    // makes every one), the browser would drop the cookie, a logout's clearing one too.
    const secureOption = secureOnly || sameSite === 'none' ? true : (attributes.secure ?? 'auto')
    if (!NAME.test(name)) throw new ScopedStateSetupError(`scopedState: '${name}' cannot be a cookie name.`)
    if (!PATH.test(path)) throw new ScopedStateSetupError(`scopedState: '${path}' cannot be a cookie path.`)
    if (domain !== undefined && !DOMAIN.test(domain))
        throw new ScopedStateSetupError(`scopedState: '${domain}' cannot be a cookie domain.`)
    // Attributes in the order Elysia's serializer writes them.
    const attributesLine = `${domain ? `; Domain=${domain}` : ''}; Path=${path}; HttpOnly`
    const sameSiteLine = `; SameSite=${sameSite[0]?.toUpperCase()}${sameSite.slice(1)}`

    /** The scheme the app's server listens with, once known: then no request's URL is built to tell. */
    let listening: string | undefined

    return {
        /** Records the listening server's scheme (`'http'`, `'https'`); `undefined` when unknown. */
        listenOn(protocol: string | undefined) {
            listening = protocol
        },
        /** Whether `request`'s response may set a `Secure` cookie. */
        secure: (request: Request) =>
            secureOption === 'auto'
                ? forwardedHttps(request.headers) ||
                  (listening ? listening === 'https' : request.url.startsWith('https:'))
                : secureOption,
        /** The `Set-Cookie` header value. Ids are base64url and dots: nothing to encode. */
        header: ({ value, maxAge, secure }: SentCookie) =>
            `${name}=${value}${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}${attributesLine}${secure ? '; Secure' : ''}${sameSiteLine}`,
        /** The same cookie as an entry of Elysia's cookie jar (`set.cookie[name]`). */
        jarEntry: ({ value, maxAge, secure }: SentCookie) => ({
            value,
            encode: keepAsIs,
            path,
            domain,
            sameSite,
            secure,
            httpOnly: true,
            maxAge
        })
    }
}

export type SessionCookie = ReturnType<typeof sessionCookie>
