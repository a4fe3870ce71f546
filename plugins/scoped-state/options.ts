/**
 * The options of `scopedState(setup, options)`, each with its default; index.ts checks them
 * when the plugin is created.
 */
import type { CookieAttributes } from './cookie.js'
import type { ScopedStore, StateSetup } from './schema.js'
import type { Store } from './store.js'

/**
 * What `migrate` returns: keys of the setup, with their types; a key not in it names itself in
 * the error. A return type with an index signature (`Record<string, …>`, `Object.fromEntries`,
 * `saved` itself, or options typed without their setup) is not checked against the setup: only
 * the JSON rule applies, at run time.
 */
type MigratedKeys<Setup extends StateSetup, Changed> = string extends keyof Changed
    ? Partial<ScopedStore<Setup>>
    : {
          [Key in keyof Changed]: Key extends keyof Setup
              ? ScopedStore<Setup>[Key] | undefined
              : `'${Key & string}' is not a key of the setup`
      }

/**
 * One saved scope as `migrate` gets it, each value unknown until checked. The setup's keys are
 * named, so that `saved.cart` compiles under `noPropertyAccessFromIndexSignature`; a key no
 * longer in the setup reads as `saved['old']` there.
 */
type SavedScope<Setup extends StateSetup> = { [Key in keyof Setup]?: unknown } & Record<string, unknown>

/**
 * @typeParam Setup the setup the options are for (`ScopedStateOptions<typeof setup>` where
 * options are written apart from `scopedState`), which types `migrate`.
 * @typeParam Changed inferred from what `migrate` returns, so that a key not in the setup
 * (misspelt, or removed) is an error: it would be dropped without one.
 */
export interface ScopedStateOptions<Setup extends StateSetup = StateSetup, Changed = Partial<ScopedStore<Setup>>> {
    /**
     * Secret(s) that sign session ids, at least 32 bytes each. Give a list to
     * rotate: the first signs, all verify. Required when `production` is true;
     * otherwise one random secret per process is used, with a warning logged once.
     * @default undefined
     */
    secret?: string | readonly string[] | undefined
    /**
     * Where state lives. See `stores/` for SQLite and Redis. The plugin closes it when the
     * app stops. Without one, instances with the same `cookieName` share one memory store
     * in the process (each their own with a custom `now`).
     * @default a `memoryStore()` per cookie name
     */
    store?: Store | undefined
    /**
     * Name of the session cookie. A `__Host-` prefix (e.g. `__Host-session`) pins
     * the cookie to this host over https, the safest choice in production; `__Secure-`
     * (a cookie shared with subdomains through `cookie.domain`) keeps it to https.
     * @default 'user_session_id'
     */
    cookieName?: string | undefined
    /** Session cookie attributes. @default { path: '/', sameSite: 'lax', secure: 'auto' } */
    cookie?: CookieAttributes | undefined
    /**
     * Seconds without a request after which a session expires, counted from the last
     * response that re-sent the cookie (see `refreshAfter`): so between
     * `idleTimeout - refreshAfter` and `idleTimeout` after the last request.
     * @default 604_800 (7 days)
     */
    idleTimeout?: number | undefined
    /**
     * Seconds after its creation at which a session expires, however active.
     * @default 2_592_000 (30 days)
     */
    absoluteTimeout?: number | undefined
    /**
     * Seconds after which the cookie is sent again to extend its `Max-Age`, which
     * restarts the idle clock. Until then responses carry no `Set-Cookie`. Must be
     * shorter than `idleTimeout`.
     * @default 3_600 (1 hour); a tenth of `idleTimeout` when that is shorter
     */
    refreshAfter?: number | undefined
    /**
     * Largest serialized state of one session, in bytes. Over it, other page scopes
     * are dropped, least recently written first; a request that would still write more
     * fails with 413 and the previous state is kept. State already over it (the limit was
     * lowered) may still shrink.
     * @default 16_384
     */
    maxStateBytes?: number | undefined
    /**
     * Most page scopes (tabs, page loads) kept per session; the least recently
     * written is dropped first.
     * @default 16
     */
    maxPages?: number | undefined
    /**
     * The version of the setup's shape. Saved state outlives restarts and deploys: raise
     * this when a key's type changes or a key is renamed or removed. State saved under an
     * older version goes through `migrate`, or without it reads as defaults; state saved
     * under a newer one (by instances already upgraded) answers 503 and is kept as it is.
     * @default 1
     */
    version?: number | undefined
    /**
     * Upgrades state saved under an older `version`, so that users keep it. Gets one scope's
     * keys at a time (the preserved keys, then each page scope's) as they were saved, and the
     * version they were saved under; returns the keys whose value changes. The other keys
     * are kept as saved, except those no longer in the setup. Runs whenever such state is
     * read, until the session's next write saves the result. When it throws, requests that
     * read that state answer 500 and it is left as it is.
     * @default undefined (state of an older version reads as defaults)
     * @example
     * // version 2 keeps cart lines instead of product ids
     * migrate: (saved, from) => (from < 2 && Array.isArray(saved.cart) ? { cart: saved.cart.map((id) => ({ id, quantity: 1 })) } : {})
     */
    migrate?: ((saved: SavedScope<Setup>, from: number) => MigratedKeys<Setup, Changed>) | undefined
    /**
     * Run a session's requests one at a time even with a synchronous store (memory,
     * SQLite), as the Redis store always does. Without it, requests run unhindered:
     * a synchronous handler cannot interleave with another request anyway, and when
     * handlers that await (or that Elysia runs as such: see GUIDE.md) overlap, their
     * changes merge key by key and the later one that changed the same key fails with 409.
     * With it, such handlers queue instead, and every route pays for Elysia's async path (a
     * few µs per request). A request that keeps its turn for over 10 s (`Store.lockLease`)
     * while another waits loses it (503).
     * @default false
     */
    serializeRequests?: boolean | undefined
    /**
     * Refuses to start without a strong secret.
     * @default NODE_ENV === 'production' when `scopedState()` is called (in an executable too)
     */
    production?: boolean | undefined
    /**
     * Clock in milliseconds, for tests.
     * @default Date.now
     */
    now?: (() => number) | undefined
}
