/**
 * A map that keeps at most `max` entries, roughly the most recently used. The engine
 * keeps two kinds of work in them, both large parts of a returning request's cost:
 * - values that passed signature verification (session cookies, page ids), so each
 *   is checked once instead of on every request. Safe because the key is the whole
 *   signed value as received, only successes are stored, and the secrets cannot
 *   change while the plugin lives; expiry is still checked on every request;
 * - stored records, parsed and frozen, so a request that only reads skips
 *   `JSON.parse` (see `shared-parse.ts`).
 * A forgotten entry there is simply computed again. Two other uses keep facts that
 * cannot be, and size the cache for how long they must stay: the ids that logins and
 * logouts ended (ended-ids.ts), and the Redis store's unanswered lock tokens (stores/redis.ts).
 *
 * Two generations of `max / 2` entries: when the newer one fills up it becomes the
 * older one, and the older one is dropped whole. A hit in the older generation moves
 * the entry to the newer. Every operation is O(1); evicting one entry at a time from
 * a `Map` is not in JavaScriptCore, where deleted entries at its front are skipped
 * again by every `keys().next()` until the map is rehashed.
 *
 * @example
 * const verified = new BoundedCache<SessionId>(4096)
 * const id = verified.get(value) ?? verified.add(value, decodeSessionId(value, signer))
 */
export class BoundedCache<T> {
    #newer = new Map<string, T>()
    #older = new Map<string, T>()

    constructor(private readonly max: number) {}

    get(key: string): T | undefined {
        const value = this.#newer.get(key)
        if (value !== undefined) return value
        const old = this.#older.get(key)
        if (old !== undefined) this.#set(key, old)
        return old
    }

    /** Stores `value` unless it is `undefined` (a failed verification); returns it either way. */
    add(key: string, value: T | undefined): T | undefined {
        if (value !== undefined) this.#set(key, value)
        return value
    }

    #set(key: string, value: T) {
        if (this.#newer.size >= this.max / 2) {
            this.#older = this.#newer
            this.#newer = new Map()
        }
        this.#newer.set(key, value)
    }
}
