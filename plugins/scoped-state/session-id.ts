/**
 * The session cookie's value: `<id>.<created>.<issued>[.l<latestIssued>][.b].<signature>`.
 *
 * - `id`: 144 random bits, the store key;
 * - `created`: when the session began (absolute timeout), seconds, base 36;
 * - `issued`: when this cookie was sent (idle timeout, refresh), seconds, base 36;
 * - `l<latestIssued>`: present when an earlier cookie of the session was issued later than this
 *   one (the clock has been set back since), seconds, base 36;
 * - `b`: present when the cookie ends with the browser (sent without `Max-Age`);
 * - `signature`: HMAC-SHA-256 of the rest.
 *
 * Anything else (wrong shape, bad signature, 10 KB of junk, `__proto__`) decodes to
 * `undefined`, and the caller starts a fresh session.
 */
import { randomToken, type Signer } from './signer.js'

export interface SessionId {
    id: string
    /** Seconds since the epoch. */
    created: number
    /** Seconds since the epoch. */
    issued: number
    /** The cookie outlives the browser (`Max-Age`); else the browser drops it when it closes. */
    persistent: boolean
    /**
     * Seconds since the epoch: the latest time an earlier cookie of this session was issued, when
     * later than `issued` (sent again with the clock set back). Those cookies are still taken until
     * then plus `idleTimeout`, and the mark a login or logout leaves must last as long.
     */
    latestIssued?: number
}

/** Whether `id` has the shape of a session's id in the store (`newSessionId`'s 18 random bytes). */
export const isSessionId = (id: string) => /^[\w-]{24}$/.test(id)

// `.l…`: an earlier cookie issued later; `.b`: a cookie that ends with the browser (no `Max-Age`).
// Anchored, each part bounded: a value of any length is refused within its first 102 characters, with no length check.
const SHAPE = /^[\w-]{24}\.[0-9a-z]{1,9}\.[0-9a-z]{1,9}(?:\.l[0-9a-z]{1,9})?(?:\.b)?\.[\w-]{43}$/

export const newSessionId = (nowSeconds: number, persistent = true): SessionId => ({
    id: randomToken(18),
    created: nowSeconds,
    issued: nowSeconds,
    persistent
})

/**
 * The copy of `current` sent at `at` (seconds): issued then, created no later. It remembers the
 * latest issue time of the copies before it while that is later than its own: with the clock set
 * back, they stay valid past this copy's idle timeout.
 */
export const reissue = (current: SessionId, at: number): SessionId => {
    const { id, persistent } = current
    const copy: SessionId = { id, created: Math.min(current.created, at), issued: at, persistent }
    const latestIssued = Math.max(current.issued, current.latestIssued ?? current.issued)
    if (latestIssued > at) copy.latestIssued = latestIssued
    return copy
}

/** The time (seconds) until which `id`'s cookie, or an earlier copy of it, may still be taken. */
export const takenUntil = (id: SessionId, idleTimeout: number, absoluteTimeout: number) => {
    const own = Math.min(id.issued + idleTimeout, id.created + absoluteTimeout)
    // An earlier copy's creation time is no later than its issue time, which bounds both timeouts.
    return id.latestIssued === undefined ? own : Math.max(own, id.latestIssued + Math.min(idleTimeout, absoluteTimeout))
}

export const encodeSessionId = ({ id, created, issued, persistent, latestIssued }: SessionId, signer: Signer) => {
    const earlier = latestIssued === undefined ? '' : `.l${latestIssued.toString(36)}`
    const payload = `${id}.${created.toString(36)}.${issued.toString(36)}${earlier}${persistent ? '' : '.b'}`
    return `${payload}.${signer.sign(payload)}`
}

export const decodeSessionId = (value: string, signer: Signer): SessionId | undefined => {
    if (!SHAPE.test(value)) return undefined
    const end = value.lastIndexOf('.')
    if (!signer.verify(value.slice(0, end), value.slice(end + 1))) return undefined
    const [id, created, issued, ...rest] = value.slice(0, end).split('.') as [string, string, string, ...string[]]
    const decoded: SessionId = {
        id,
        created: Number.parseInt(created, 36),
        issued: Number.parseInt(issued, 36),
        persistent: rest.at(-1) !== 'b'
    }
    if (rest[0]?.startsWith('l')) decoded.latestIssued = Number.parseInt(rest[0].slice(1), 36)
    return decoded
}
