/** Opens the session store that `SCOPED_STATE_STORE` names (see `StoreSetting` in config.ts). */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { memoryStore, redisStore, type Store, sqliteStore } from '../plugins/scoped-state'
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

/**
 * The store for `setting`; a SQLite file's directory is created if missing.
 *
 * @example
 * openStore({ kind: 'sqlite', path: './data/state.db' })
 */
export const openStore = (setting: StoreSetting): Store => {
    switch (setting.kind) {
        case 'memory':
            return memoryStore()
        case 'sqlite':
            try {
                mkdirSync(dirname(setting.path), { recursive: true })
            } catch (error) {
                throw new ConfigError(
                    `SCOPED_STATE_STORE: cannot create the directory of ${setting.path}: ${(error as Error).message}`
                )
            }
            return sqliteStore({ path: setting.path })
        case 'redis':
            return redisStore({ url: setting.url })
    }
}
