/**
 * The store of instances given none: one memory store per cookie name in this process (and copy
 * of the plugin's folder).
 * Route modules that each call `scopedState(...)` with the same cookie then share every
 * user's state, as instances given one SQLite or Redis store do; with a store each, a
 * user's state would split between them. Each instance holds the store until its app
 * stops, and the last one to stop closes it.
 */
import { processWide } from './process-wide.js'
import type { Store } from './store.js'
import { memoryStore } from './stores/memory.js'

/**
 * This copy's, by the address of this file: the same at each `bun --hot` reload, another for another
 * copy of the folder in the process (vendored, another version), whose store may lack what this copy
 * calls (one from before `peekScopedSession` has no `peek`).
 */
const held = processWide(
    `default-stores:${import.meta.url}`,
    () => new Map<string, { store: Store; holders: number }>()
)

/**
 * The default store of sessions named `cookieName`, and the function that lets go of it.
 *
 * @example
 * const { store, release } = holdDefaultStore('user_session_id')
 */
export const holdDefaultStore = (cookieName: string) => {
    const entry = held.get(cookieName) ?? { store: memoryStore(), holders: 0 }
    held.set(cookieName, entry)
    entry.holders++
    let released = false
    const release = () => {
        if (released) return
        released = true
        if (--entry.holders > 0) return
        held.delete(cookieName)
        return entry.store.close()
    }
    return { store: entry.store, release }
}
