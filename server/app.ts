/**
 * Builds the whole demo app without listening, so tests call `app.handle(request)`.
 * `server/index.ts` reads the environment and listens.
 */
import { html } from '@elysiajs/html'
import { staticPlugin } from '@elysiajs/static'
import { Elysia } from 'elysia'
import { memoryStore, type ScopedStateOptions, StoreUnavailableError } from '../plugins/scoped-state'
import { accessLog } from './access-log'
import { APP_SCRIPT, HTMX_FILE, HTMX_URL, PUBLIC_DIR, STYLES } from './assets'
import { BASE_PATH } from './base-path'
import { bugLog } from './bug-log'
import { countedLog } from './counted-log'
import { devHosts } from './dev-hosts'
import { errors } from './errors'
import type { LiveReload } from './live-reload'
import { HTML_TYPE } from './respond'
import { accountRoutes } from './routes/account'
import { cartRoutes } from './routes/cart'
import { counterRoutes } from './routes/counter'
import { healthRoutes } from './routes/health'
import { pageRoutes } from './routes/pages'
import { startOverRoutes } from './routes/start-over'
import { themeRoutes } from './routes/theme'
import { security } from './security'
import { appState } from './state'

export interface AppOptions {
    /**
     * Passed to the scoped-state plugin (secret, store, timeouts, clock).
     * @default {} (a memory store of the app's own, and no secret: refused in production)
     */
    state?: ScopedStateOptions
    /** Receives one line per request (`GET /counter 200 1.2ms`). @default undefined (no access log) */
    accessLog?: (line: string) => void
    /**
     * Receives lines about requests answered 503 (the session store failing or not answering a
     * health check, or state saved by a newer version of the app) or 403 (refused as cross-site):
     * for each, the first at once, a count every 10 s while they go on, and a line when 10 s pass
     * without one (`server/counted-log.ts`). @default console.warn
     */
    warn?: (line: string) => void
    /** Send `Strict-Transport-Security` on every response (`server/security.ts`). @default false */
    hsts?: boolean
    /**
     * Reload open pages when the server restarts (`server/live-reload.ts`); development only.
     * @default undefined (off)
     */
    liveReload?: LiveReload
    /**
     * Answer only requests whose `Host` is localhost, an IP address or one of these names
     * (`server/dev-hosts.ts`); development only.
     * @default undefined (any host)
     */
    allowedHosts?: readonly string[]
}

const VERSIONED = [STYLES, APP_SCRIPT]
/**
 * Any name under public/ that starts with a dot (`.env`, `.git/`, `.DS_Store`, an editor's swap
 * file): never served. Not the plugin's string patterns, which @elysiajs/static 1.4 tests the wrong
 * way round (`pattern.includes(path)`), so that in development it served `/public/.env`. Anchored
 * at public/ itself, whose own path may hold a dot folder (`~/.local/…`); either separator, as the
 * plugin gives `/` on Windows in development.
 */
const HIDDEN_NAME = new RegExp(
    `^${PUBLIC_DIR.split(/[\\/]/)
        .map((part) => RegExp.escape(part))
        .join('[\\\\/]')}[\\\\/](?:.*[\\\\/])?\\.`
)
// Resolved once here: the plugin is async, and `app.handle` must find its routes at once.
// It serves the other files of public/ (cached a day).
const publicAssets = await staticPlugin({
    assets: PUBLIC_DIR,
    prefix: '/public',
    // The plugin's own default reads `process.env.NODE_ENV`, which `bun build --compile` fixes
    // at build time: the executable would serve public/ the development way (a catch-all route
    // that answers a revalidation with the whole file) whatever NODE_ENV it runs with.
    alwaysStatic: Bun.env.NODE_ENV === 'production',
    // Its default Cache-Control goes on a 200 only: on a 304 too (in production; its 304 in
    // development has no headers), else the app's `no-store` would replace the browser's
    // copy's caching when it revalidates.
    headers: { 'Cache-Control': 'public, max-age=86400' },
    ignorePatterns: [HIDDEN_NAME, ...VERSIONED.map(({ path }) => new RegExp(`${path.slice('/public'.length)}$`))]
})
const YEAR = 31_536_000
const IMMUTABLE = `public, max-age=${YEAR}, immutable`

/**
 * Whether `If-None-Match` names `etag`, or is `*` (any copy: there always is a current one).
 * Compared weakly, as a proxy that compresses makes it weak (`W/"…"`).
 */
const matches = (ifNoneMatch: string | null, etag: string) =>
    ifNoneMatch?.split(',').some((tag) => {
        const name = tag.trim()
        return name === '*' || name.replace(/^W\//, '') === etag
    }) === true

/**
 * The files pages name by a hash of their content: kept a year at that address. At any other
 * (no version, or another instance's during a deploy) only revalidated, so that no browser
 * keeps a file under an address that names another: the hash is the ETag too, so that a
 * revalidation of an unchanged file is a 304, not the whole file again.
 */
const versionedAssets = new Elysia({ name: 'versioned-assets' })
for (const { path, file, version } of VERSIONED) {
    const etag = `"${version}"`
    versionedAssets.get(path, ({ query, request, set }) => {
        set.headers['cache-control'] = query.v === version ? IMMUTABLE : 'no-cache'
        set.headers.etag = etag
        if (matches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304 })
        set.headers['content-type'] = Bun.file(file).type
        return new Response(Bun.file(file))
    })
}

export const createApp = (options: AppOptions = {}) => {
    const store = options.state?.store ?? memoryStore({ now: options.state?.now })
    // One plugin instance, used by every route module that reads state.
    const state = appState({ ...options.state, store })
    const now = options.state?.now ?? (() => performance.now())
    const warn = options.warn ?? console.warn
    const answered = (status: number) => ({ one: `request answered ${status}`, many: `requests answered ${status}` })
    const outages = countedLog(warn, answered(503))
    const refusals = countedLog(warn, answered(403))
    const bugs = bugLog(console.error)
    let storeFailedAt: number | undefined
    const reportUnavailable = (error: Error) => {
        // Not for one session held too long elsewhere: the store answers, and every instance would go unready.
        if (error instanceof StoreUnavailableError && !error.busy) storeFailedAt = now()
        outages.report(error)
    }
    return (
        // Every route under BASE_PATH, as the proxy passes it on; an address outside it gets the 404 page.
        new Elysia({ prefix: BASE_PATH })
            .use(options.accessLog ? accessLog(options.accessLog) : new Elysia())
            .use(options.allowedHosts ? devHosts(options.allowedHosts) : new Elysia())
            .use(security({ hsts: options.hsts, refused: refusals.report }))
            .use(errors(reportUnavailable, bugs.report))
            // What the logs counted and did not tell yet.
            .onStop(() => {
                outages.stop()
                refusals.stop()
                bugs.stop()
            })
            // Before the html plugin, which then sends the pages it changed.
            .use(options.liveReload?.plugin ?? new Elysia())
            .use(html({ contentType: HTML_TYPE }))
            .use(publicAssets)
            .use(versionedAssets)
            // A versioned URL, so browsers may cache it for a year. A `Response`, not the file:
            // for a file Elysia sends `Content-Range` even on a whole 200.
            .get(HTMX_URL, ({ set }) => {
                set.headers['cache-control'] = IMMUTABLE
                // Bun sets it from the file for GET only.
                set.headers['content-type'] = Bun.file(HTMX_FILE).type
                return new Response(Bun.file(HTMX_FILE))
            })
            .use(healthRoutes(store, { now, storeFailedAt: () => storeFailedAt, report: outages.report }))
            .use(pageRoutes(state))
            .use(startOverRoutes(state))
            .use(counterRoutes(state))
            .use(cartRoutes(state))
            .use(themeRoutes(state))
            .use(accountRoutes(state))
    )
}

export type App = ReturnType<typeof createApp>
