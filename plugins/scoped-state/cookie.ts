/**
 * The session cookie on the wire. Reading scans the raw `Cookie` header for one
 * name instead of parsing every cookie: it is faster, and Elysia's cookie jar turns
 * JSON-looking or numeric values into objects and numbers, which an id must never be.
 */

/** Attributes of the session cookie. `HttpOnly` is always set. */
export interface CookieAttributes {
    /** @default '/' */
    path?: string
    /** Omitted by default, so the cookie stays on this host. @default undefined */
    domain?: string
    /** @default 'lax' */
    sameSite?: 'lax' | 'strict' | 'none'
    /**
     * `'auto'` sets `Secure` when the request came over https (its URL, or
     * `X-Forwarded-Proto: https` from a proxy). A `__Host-` name always gets `Secure`.
     * @default 'auto'
     */
    secure?: boolean | 'auto'
}

const SPACE = 32
const SEMICOLON = 59

/** A function returning the first value of cookie `name` in a `Cookie` header. */
export const cookieReader = (name: string) => {
    const needle = `${name}=`
    return (header: string | null): string | undefined => {
        if (!header) return undefined
        let at = header.indexOf(needle)
        while (at !== -1) {
            let before = at - 1
            while (before >= 0 && header.charCodeAt(before) === SPACE) before--
            if (before < 0 || header.charCodeAt(before) === SEMICOLON) {
                const start = at + needle.length
                const end = header.indexOf(';', start)
                return header.slice(start, end === -1 ? undefined : end).trim()
            }
            at = header.indexOf(needle, at + 1)
        }
        return undefined
    }
}

const keepAsIs = (value: string) => value

/** Builds the `set.cookie` entry (Elysia serializes it) for the session cookie. */
export const sessionCookie = (name: string, attributes: CookieAttributes) => {
    const hostOnly = name.startsWith('__Host-')
    const path = hostOnly ? '/' : (attributes.path ?? '/')
    const domain = hostOnly ? undefined : attributes.domain
    const sameSite = attributes.sameSite ?? 'lax'
    const secureOption = hostOnly || sameSite === 'none' ? true : (attributes.secure ?? 'auto')

    const secure = (request: Request, url: string) =>
        secureOption === 'auto'
            ? url.startsWith('https:') || request.headers.get('x-forwarded-proto') === 'https'
            : secureOption

    return (request: Request, url: string, value: string, maxAge: number) => ({
        value,
        // Ids are base64url and dots already: skip the serializer's percent-encoding.
        encode: keepAsIs,
        path,
        domain,
        sameSite,
        secure: secure(request, url),
        httpOnly: true,
        maxAge
    })
}
