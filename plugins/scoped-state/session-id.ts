/**
 * The session cookie's value: `<id>.<created>.<issued>[.b].<signature>`.
 *
 * - `id`: 144 random bits, the store key;
 * - `created`: when the session began (absolute timeout), seconds, base 36;
 * - `issued`: when this cookie was sent (idle timeout, refresh), seconds, base 36;
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
}

/** Whether `id` has the shape of a session's id in the store (`newSessionId`'s 18 random bytes). */
export const isSessionId = (id: string) => /^[\w-]{24}$/.test(id)

// `.b`: a cookie that ends with the browser (no `Max-Age`).
const SHAPE = /^[\w-]{24}\.[0-9a-z]{1,9}\.[0-9a-z]{1,9}(?:\.b)?\.[\w-]{43}$/
const MAX_LENGTH = 100

export const newSessionId = (nowSeconds: number, persistent = true): SessionId => ({
    id: randomToken(18),
    created: nowSeconds,
    issued: nowSeconds,
    persistent
})

export const encodeSessionId = ({ id, created, issued, persistent }: SessionId, signer: Signer) => {
    const payload = `${id}.${created.toString(36)}.${issued.toString(36)}${persistent ? '' : '.b'}`
    return `${payload}.${signer.sign(payload)}`
}

export const decodeSessionId = (value: string, signer: Signer): SessionId | undefined => {
    if (value.length > MAX_LENGTH || !SHAPE.test(value)) return undefined
    const end = value.lastIndexOf('.')
    if (!signer.verify(value.slice(0, end), value.slice(end + 1))) return undefined
    const [id, created, issued, flag] = value.split('.') as [string, string, string, string]
    return {
        id,
        created: Number.parseInt(created, 36),
        issued: Number.parseInt(issued, 36),
        persistent: flag !== 'b'
    }
}
