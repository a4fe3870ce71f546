/**
 * A test user's preserved keys as the app's store keeps them (docs/stores.md, "What is
 * stored"): a test starts from a given state without clicking through the pages to build it,
 * and checks what its requests left. Give the app the store (`testApp({ store })`), and load a
 * page first: the session cookie it sets names the record.
 *
 * @example
 * const store = memoryStore()
 * const user = client(testApp({ store }))
 * await user.get('/cart', NAVIGATE)
 * await saveState(store, user.cookie, { cart: [{ productId: 'mug', quantity: 2 }] })
 * expect((await savedState(store, user.cookie)).cart).toHaveLength(1)
 */
import type { Store } from '../../plugins/scoped-state'
import type { AppStore } from '../../server/state'
import { sessionIdOf } from './client'

/** Longer than any test: the plugin checks expiry from the cookie, the store only drops what outlives this. */
const TTL_MS = 60_000

interface SavedRecord {
    v?: number
    s: Partial<AppStore>
    p: Record<string, Partial<AppStore>>
}

const idOf = (cookie: string) => {
    const id = sessionIdOf(cookie)
    if (!id) throw new Error('the user has no session cookie yet: load a page first')
    return id
}

/**
 * Runs `use` on the session's record (`undefined` when it saved nothing, or ended) between the
 * store's `load` and `release`, telling it whether a sign-in or sign-out ended the session. A
 * store that locks (Redis) holds the session from `load`: left held, the user's next request
 * would wait for it, and answer 503 after `lockLease`.
 */
const withRecord = async <T>(
    store: Store,
    id: string,
    use: (record: SavedRecord | undefined, ended: boolean) => T | Promise<T>
) => {
    try {
        const loaded = await store.load(id, TTL_MS)
        // SQLite and Redis answer a mark, not a record, for a session a sign-in or sign-out ended.
        const ended = loaded !== undefined && typeof loaded !== 'string'
        return await use(typeof loaded === 'string' ? JSON.parse(loaded) : undefined, ended)
    } finally {
        await store.release(id)
    }
}

/** The preserved keys the user's requests left in the store (only those a request read or wrote). */
export const savedState = async (store: Store, cookie: string) =>
    withRecord(store, idOf(cookie), (record) => record?.s ?? {})

/**
 * Sets preserved keys of the user's session in the store, keeping its other keys, its page
 * scopes and the version it names. A session that saved nothing yet gets a record of version 1:
 * once `server/state.ts` raises `version`, a test saves a record under it through a request first.
 * Refuses a session that a sign-in or sign-out ended: saved under its id, the record would take
 * that cookie back as a live session on SQLite, and fail as a lost lock on Redis.
 */
export const saveState = async (store: Store, cookie: string, state: Partial<AppStore>) => {
    const id = idOf(cookie)
    return withRecord(store, id, (record = { s: {}, p: {} }, ended) => {
        if (ended) throw new Error('the session has ended (a sign-in or sign-out): use the cookie the user holds now')
        return store.save(id, JSON.stringify({ ...record, s: { ...record.s, ...state } }), TTL_MS)
    })
}
