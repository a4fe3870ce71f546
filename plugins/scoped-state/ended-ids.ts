/**
 * The session ids ended lately, and when (seconds), kept per store: by a login or logout, by
 * the app (`endScopedSession`), or in another process, as a shared store told. A request still
 * carrying one is refused for a grace minute (engine.ts), then starts a new session (identify.ts).
 * Beside them, per store too, the latest issue time of the cookies sent through it: an ended
 * session's mark must outlast a cookie issued ahead of a clock set back since (`latestIssueOf`).
 */
import { BoundedCache } from './bounded-cache.js'
import { processWide } from './process-wide.js'
import type { Store } from './store.js'

/** Ended session ids, each with when it ended (seconds). */
export type EndedIds = BoundedCache<number>

/**
 * Ended ids remembered per store: at least the last half of them, so that each one is kept
 * for its grace minute up to about 500 logins and logouts a second (about 14 MB of heap when
 * full, measured).
 */
const ENDED_IDS = 65_536

/**
 * Seconds after a login or logout during which a request still carrying the old id is taken
 * for one sent before the browser had its new cookie. Later, the browser itself still holds
 * the old cookie (the response that replaced it was lost): it starts a new session.
 */
export const ENDED_GRACE = 60

/**
 * How far back an end the app made (`endScopedSession`) is dated, in seconds, here and in a
 * shared store's mark (`Store.delete`'s `agoMs`): no new cookie is on its way to that browser, so
 * its cookie starts a new session at once. A grace more than needed: a request that came before the
 * end may load it later (after waiting for the session's lock), and must count it past too.
 */
export const APP_END_AGE = 2 * ENDED_GRACE

/** Whether a session that ended at `ended` (seconds), if it did, is past its grace at `at`: its cookie then starts a new session. */
export const pastGrace = (ended: number | undefined, at: number) => ended !== undefined && at - ended > ENDED_GRACE

/**
 * The ended ids of each store object, shared by the plugin instances given it: route modules that
 * each create the plugin share a store (the default one of their cookie name, or one passed to
 * each), so a logout through one module must end the session in the others too. The process's,
 * as the default store is: `bun --hot` would forget them while the store keeps its sessions.
 */
const endedIdsByStore = processWide('ended-ids', () => new WeakMap<Store, EndedIds>())
export const endedIdsOf = (store: Store): EndedIds => {
    const known = endedIdsByStore.get(store)
    if (known) return known
    const endedIds = new BoundedCache<number>(ENDED_IDS)
    endedIdsByStore.set(store, endedIds)
    return endedIds
}

/** The latest issue time (seconds) of a session cookie sent through one store object. */
export interface LatestIssue {
    at: number
}

/**
 * Per store object, as its ended ids: a cookie issued through any plugin instance given it may
 * reach a login through another. With the clock set back since, such a cookie, later than the
 * one a login brings, is still taken past the time its mark counts from now.
 */
const latestIssueByStore = processWide('latest-issue', () => new WeakMap<Store, LatestIssue>())
export const latestIssueOf = (store: Store): LatestIssue => {
    const known = latestIssueByStore.get(store)
    if (known) return known
    const latest = { at: 0 }
    latestIssueByStore.set(store, latest)
    return latest
}

/**
 * Remembers that `id` ended at `at` (seconds), unless its end is known already: a session ended
 * again (a second logout, sent with the old cookie) keeps its first end, as the other processes
 * and a shared store's mark do, so that no process restarts its grace minute alone.
 */
export const rememberEnd = (endedIds: EndedIds, id: string, at: number) => {
    if (endedIds.get(id) === undefined) endedIds.add(id, at)
}
