/** Opens the session store that `SCOPED_STATE_STORE` names (see `StoreSetting` in config.ts). */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { memoryStore, redisStore, ScopedStateSetupError, type Store, sqliteStore } from '../plugins/scoped-state'
import { ConfigError, type StoreSetting } from './config'

/** `setting` as the startup line names it: a Redis URL without its user name, password, query and fragment. */
export const storeLabel = (setting: StoreSetting) => {
    if (setting.kind === 'memory') return 'memory'
    if (setting.kind === 'sqlite') return `sqlite:${setting.path}`
    const url = new URL(setting.url)
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    return url.href
}

/** What the operator is told when the memory store evicts a session (`server/counted-log.ts` counts the others). */
export const MEMORY_FULL = new Error(
    'The memory store is full: it evicted the least recently used of the sessions that never came back, whose ' +
        'user starts over. Raise maxSessions or maxBytes in server/store.ts to what the memory limit allows, or ' +
        'keep state in SQLite or Redis.'
)

/**
 * The store for `setting`; a SQLite file's directory is created if missing. `onEvict` hears of
 * each session the memory store evicts at its limits.
 *
 * @example
 * openStore({ kind: 'sqlite', path: './data/state.db' })
 */
export const openStore = (setting: StoreSetting, onEvict?: () => void): Store => {
    switch (setting.kind) {
        case 'memory':
            return memoryStore({ onEvict })
        case 'sqlite':
            try {
                mkdirSync(dirname(setting.path), { recursive: true })
            } catch (error) {
                throw new ConfigError(
                    `SCOPED_STATE_STORE: cannot create the directory of ${setting.path}: ${(error as Error).message}`
                )
            }
            // A file SQLite cannot open or write, or one another process holds.
            return openedOrConfigError(() => sqliteStore({ path: setting.path }))
        case 'redis':
            // Bun's client refuses some URLs config.ts lets through (a database that is not a number).
            return openedOrConfigError(() => redisStore({ url: setting.url }))
    }
}

/** The store `open` makes; a setting it refuses is said with the variable that gave it. */
const openedOrConfigError = (open: () => Store) => {
    try {
        return open()
    } catch (error) {
        if (!(error instanceof ScopedStateSetupError)) throw error
        throw new ConfigError(`SCOPED_STATE_STORE: ${error.message}`)
    }
}
