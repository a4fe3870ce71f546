/**
 * Remembers values that passed signature verification, so a returning session's
 * cookie (and a page's id) is checked once instead of on every request: the HMAC
 * and the shape check were the largest part of the plugin's per-request cost.
 *
 * Safe because the key is the whole signed value as received, only successful
 * verifications are stored, and the secrets cannot change while the plugin lives.
 * Expiry is still checked on every request by the caller. Bounded: past `max`
 * entries the oldest one is dropped (a dropped value is simply verified again).
 *
 * @example
 * const cache = new VerifiedCache<SessionId>(4096)
 * const id = cache.get(value) ?? cache.add(value, decodeSessionId(value, signer))
 */
export class VerifiedCache<T> {
    #entries = new Map<string, T>()

    constructor(private readonly max: number) {}

    get(key: string): T | undefined {
        return this.#entries.get(key)
    }

    /** Stores `value` when it is defined (a successful verification); returns it either way. */
    add(key: string, value: T | undefined): T | undefined {
        if (value === undefined) return undefined
        if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value as string)
        this.#entries.set(key, value)
        return value
    }
}
