/**
 * HMAC-SHA-256 signatures for session and page ids. A valid signature proves the
 * server issued an id, so unknown ids are never adopted and a new visitor needs no
 * store entry until it writes state.
 */
import { ScopedStateSetupError } from './errors.js'
import { processWide } from './process-wide.js'

/** Below this many bytes a secret is refused in production. */
const MIN_SECRET_BYTES = 32

export interface Signer {
    /** The signature of `payload` with the current (first) secret, base64url. */
    sign(payload: string): string
    /** Whether `signature` matches `payload` under any configured secret, in constant time. */
    verify(payload: string, signature: string): boolean
}

/** HMAC-SHA-256 keyed once: each signature copies the keyed state instead of re-deriving it. */
const keyedHmac = (secret: string) => {
    const keyed = new Bun.CryptoHasher('sha256', secret)
    return (payload: string) => keyed.copy().update(payload).digest('base64url')
}

const constantTimeEqual = (a: string, b: string) => {
    if (a.length !== b.length) return false
    let difference = 0
    for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
    return difference === 0
}

/**
 * One per process, so that instances mounted in different route modules, and those that
 * `bun --hot` makes again at every save, accept each other's cookies. Said once.
 */
const randomProcessSecret = () =>
    processWide('random-secret', () => {
        console.warn(
            'scopedState: no secret set, using a random one; sessions will not survive a restart, nor be known to other instances sharing the store.'
        )
        return randomToken(32)
    })
/**
 * A short secret is reported once per process, however many instances share it, and however
 * many times `bun --hot` makes them again.
 */
const shortSecretReport = processWide('short-secret-report', () => ({ said: false }))

/**
 * Resolves the `secret` option: the first secret signs, all of them verify, so a
 * new secret can be put first while the old one still verifies live sessions.
 * Without a secret, production refuses to start; development gets a random
 * per-process secret (sessions end on restart) and a one-line warning.
 */
export const resolveSecrets = (secret: string | readonly string[] | undefined, production: boolean): string[] => {
    const secrets = secret === undefined ? [] : typeof secret === 'string' ? [secret] : [...secret]
    if (secrets.length === 0) {
        if (production)
            throw new ScopedStateSetupError(
                'scopedState: a secret is required in production: pass the `secret` option, at least 32 random bytes ' +
                    '(e.g. `{ secret: process.env.SESSION_SECRET }`).'
            )
        return [randomProcessSecret()]
    }
    const short = secrets.findIndex((s) => Buffer.byteLength(s) < MIN_SECRET_BYTES)
    if (short === -1) return secrets
    const problem = `scopedState: secret #${short + 1} is shorter than ${MIN_SECRET_BYTES} bytes`
    if (production) throw new ScopedStateSetupError(`${problem}; use a long random value in production.`)
    // Said in development too, so that it is not first heard of at deploy time.
    if (!shortSecretReport.said) console.warn(`${problem}: production will refuse it.`)
    shortSecretReport.said = true
    return secrets
}

export const createSigner = (secrets: readonly string[]): Signer => {
    const hmacs = secrets.map(keyedHmac)
    const sign = hmacs[0] as (payload: string) => string
    return {
        sign,
        verify(payload, signature) {
            let valid = false
            // Every secret is tried, so timing does not reveal which one matched.
            for (const hmac of hmacs) valid = constantTimeEqual(hmac(payload), signature) || valid
            return valid
        }
    }
}

/** CSPRNG output fetched in blocks: one call per block instead of one per id, each byte used once. */
const RANDOM_BLOCK = 4096
const randomBytes = Buffer.alloc(RANDOM_BLOCK)
let randomOffset = RANDOM_BLOCK

/** `bytes` (at most 4096) random bytes from the CSPRNG, base64url. */
export const randomToken = (bytes: number) => {
    if (randomOffset + bytes > RANDOM_BLOCK) {
        crypto.getRandomValues(randomBytes)
        randomOffset = 0
    }
    const token = randomBytes.toString('base64url', randomOffset, randomOffset + bytes)
    randomOffset += bytes
    return token
}
