/**
 * The steps a model-test sequence is made of (requests from a client, a moved clock, rotated
 * secrets, replayed or forged cookies) and the method and path each kind of request is sent to.
 */
import { NOTES } from './app'
import type { Fault } from './faults'

// ---- Operations ----

export type Route =
    | 'page'
    | 'restore'
    | 'state'
    | 'themeGet'
    | 'inc'
    | 'tag'
    | 'note'
    | 'theme'
    | 'reset'
    | 'fullReset'
    | 'login'
    | 'logout'
    | 'logoutNotice'
    | 'fail'
    | 'softFail'
/** A page id: the `nth` one client `owner` was given (modulo how many), or a forged one. */
export type PageRef = { owner: number; nth: number } | { forged: string }
export type Request_ = {
    t: 'req'
    c: number
    route: Route
    arg?: string
    /** How the page id goes: htmx's header, or a plain form's or redirect's `page_id`. */
    via?: 'header' | 'query'
    page?: PageRef
    https?: boolean
    /** A junk cookie of the session's name comes first in the header. */
    junkFirst?: boolean
    /** Sent to the second route module (`/b`), which has its own instance of the plugin. */
    second?: boolean
    /** Served by the other app instance (`pairKinds`): another process, its own store object. */
    elsewhere?: boolean
    /** A call of the store that fails while the request runs (faults.ts). */
    fault?: Fault
    /** The handler calls `scopedStateSize()` after its last change (app.ts `SIZE_HEADER`), checked against its save. */
    sized?: boolean
}
export type Op =
    | Request_
    | { t: 'advance'; ms: number }
    /**
     * New instances of the plugin (new route modules) on the same state: `add` puts a new secret
     * first, `drop` keeps only the first. The SQLite file and the Redis stores are opened again.
     */
    | { t: 'rotate'; how: 'add' | 'drop' | 'restart' }
    /** The browser closes: its cookie without `Max-Age` goes. */
    | { t: 'close'; c: number }
    /** Client `c` sends the `nth` cookie client `from` was ever sent (its own old one, or a stolen one). */
    | { t: 'replay'; c: number; from: number; nth: number }
    /** Client `c` sends a cookie the server never issued. */
    | { t: 'forge'; c: number; how: 'junk' | 'proto' | 'long' | 'tamper' | 'extend' | 'unsigned' }

export const ROUTES: Record<Route, { method: 'GET' | 'POST'; path: (arg?: string) => string }> = {
    page: { method: 'GET', path: () => '/page' },
    restore: { method: 'GET', path: () => '/page' },
    state: { method: 'GET', path: () => '/state' },
    themeGet: { method: 'GET', path: () => '/theme' },
    inc: { method: 'POST', path: () => '/inc' },
    tag: { method: 'POST', path: (arg) => `/tag/${arg}` },
    note: { method: 'POST', path: (arg) => `/note/${NOTES[arg as keyof typeof NOTES]}` },
    theme: { method: 'POST', path: (arg) => `/theme/${arg}` },
    reset: { method: 'POST', path: () => '/reset' },
    fullReset: { method: 'POST', path: () => '/full-reset' },
    login: {
        method: 'POST',
        path: (arg) => (arg === 'remember' ? '/login?remember=1' : arg === 'forget' ? '/login?remember=0' : '/login')
    },
    logout: { method: 'POST', path: () => '/logout' },
    logoutNotice: { method: 'POST', path: () => '/logout-notice' },
    fail: { method: 'POST', path: () => '/fail' },
    softFail: { method: 'POST', path: () => '/soft-fail' }
}
