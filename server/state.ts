/**
 * The demo's per-user state. `count` and `notice` belong to one page load of one tab; the
 * cart, the theme and the signed-in name are preserved across refreshes, navigation and tabs.
 *
 * State saved in SQLite or Redis outlives restarts and deploys: when a key's type changes, or
 * a key is renamed or removed, pass `version: 2` (then 3…) and a `migrate` for what users keep.
 */
import { type ScopedStateOptions, type ScopedStore, type StateSetup, scopedState } from '../plugins/scoped-state'
import { BASE_PATH } from './base-path'
import type { CartLine } from './catalog'

export const THEMES = ['light', 'dark', 'system'] as const
export type Theme = (typeof THEMES)[number]

/** Where every page's count starts, and where a reset puts it back. */
export const COUNT_START = 0

// `satisfies StateSetup`: declared apart from `scopedState()` without it, `preserve: true` widens to `boolean`, and
// `peekScopedSession` (an admin page, a data download) could then not tell a key's scope: every key optional in both.
const setup = {
    count: { value: COUNT_START },
    /** What a plain form's action did, for the page its redirect loads to show once (RECIPES: a message for the next page). */
    notice: { value: null as string | null },
    cart: { value: [] as CartLine[], preserve: true },
    theme: { value: 'system' as Theme, preserve: true },
    username: { value: '', preserve: true }
} satisfies StateSetup

/**
 * In production the session cookie is `__Host-session`, which browsers keep only from this
 * host over https, for every path: a sibling subdomain cannot plant a session of its own
 * that the app would take for the user's (cookie tossing). Plain http in development keeps
 * the plugin's default name (`user_session_id`), which browsers accept there.
 *
 * Under a `BASE_PATH` the name carries it (`__Host-session-shop` for `/shop`): a browser keeps
 * one cookie of a name per host and path, whatever the port, and `__Host-` forces the path `/`,
 * so two apps on one host under one name would each replace the other's cookie at every visit,
 * signing the user out of the other one.
 */
const PRODUCTION_COOKIE = '__Host-session'
const DEVELOPMENT_COOKIE = 'user_session_id'

const sessionCookieName = (production: boolean) =>
    `${production ? PRODUCTION_COOKIE : DEVELOPMENT_COOKIE}${BASE_PATH.replaceAll('/', '-')}`

export const appState = (options: ScopedStateOptions<typeof setup>) =>
    scopedState(setup, {
        // Unset, production is what the plugin takes it to be (its `production` option's default).
        cookieName: sessionCookieName(options.production ?? Bun.env.NODE_ENV === 'production'),
        ...options
    })

export type AppState = ReturnType<typeof appState>
/** `scopedStore` in every handler: type helpers that take the store with it, so a change to the setup reaches them. */
export type AppStore = ScopedStore<typeof setup>
