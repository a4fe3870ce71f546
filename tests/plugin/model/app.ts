/**
 * The app the model test runs against: its limits and timeouts, the state it declares, and
 * two route modules that each create the plugin on one shared store.
 */
import { Elysia, status } from 'elysia'
import { type Store, scopedState } from '../../../plugins/scoped-state'
import { NAVIGATE } from '../../helpers/client'

export const COOKIE = 'user_session_id'
export const IDLE = 1_000
export const REFRESH = 100
export const ABSOLUTE = 3_000
/** identify.ts: an ended id still carried within this many seconds is the ended session, later a new visitor's. */
export const GRACE = 60
/** identify.ts: a cookie issued further ahead of the clock than this (a clock set back) is sent again. */
export const RESEND_AHEAD = Math.min(REFRESH, IDLE - REFRESH)
export const MAX_PAGES = 3
const MAX_BYTES = 4_000
export const NOTES = { small: 10, medium: 1_500, large: 5_000 } as const
/**
 * The notes dominate a record's size: the rest of it takes under 400 bytes here (at most three
 * page scopes of a few short keys), so a record whose notes take two mediums fits in
 * `MAX_BYTES` and one with three, or a large one, does not.
 */
export const fits = (noteBytes: number) => noteBytes <= 2 * NOTES.medium + 200
export const SECRETS = Array.from({ length: 12 }, (_, i) => `model-test-secret-number-${i}`.padEnd(40, '*'))
export const BROWSER_ACCEPT = NAVIGATE.accept
export const CLIENTS = 3
export const DEFAULT_PAGE = '_'

const setup = {
    count: { value: 0 },
    tags: { value: [] as string[] },
    note: { value: '' },
    theme: { value: 'light', preserve: true }
}

type Handler = { handle(request: Request): Promise<Response> }

/**
 * One route module of the app, under `prefix`, with its own instance of the plugin: the app has
 * two, sharing one store, as route modules that each call `scopedState(...)` do (GUIDE).
 */
const routeModule = (
    prefix: string,
    secrets: string[],
    store: Store,
    now: () => number,
    serializeRequests: boolean
) => {
    const view = ({ scopedStore, scopedPageId }: { scopedStore: ScopedView; scopedPageId: string }) => ({
        page: scopedPageId,
        count: scopedStore.count,
        tags: scopedStore.tags,
        note: scopedStore.note.length,
        theme: scopedStore.theme
    })
    return new Elysia({ prefix })
        .use(
            scopedState(setup, {
                secret: secrets,
                store,
                now,
                idleTimeout: IDLE,
                absoluteTimeout: ABSOLUTE,
                refreshAfter: REFRESH,
                maxPages: MAX_PAGES,
                maxStateBytes: MAX_BYTES,
                serializeRequests
            })
        )
        .get('/page', view)
        .get('/state', view)
        .get('/theme', ({ scopedStore }) => scopedStore.theme)
        .post('/inc', ({ scopedStore }) => String(++scopedStore.count))
        .post('/tag/:tag', ({ scopedStore, params }) => {
            scopedStore.tags.push(params.tag)
            return scopedStore.tags.join(',')
        })
        .post('/note/:size', ({ scopedStore, params }) => {
            scopedStore.note = 'x'.repeat(Number(params.size))
            return params.size
        })
        .post('/theme/:theme', ({ scopedStore, params }) => {
            scopedStore.theme = params.theme
            return params.theme
        })
        .post('/reset', ({ resetScopedStore }) => {
            resetScopedStore()
            return 'reset'
        })
        .post('/full-reset', ({ resetScopedStore }) => {
            resetScopedStore(true)
            return 'full reset'
        })
        .post('/login', ({ regenerateScopedSession, query }) => {
            regenerateScopedSession(query.remember === undefined ? undefined : { persistent: query.remember === '1' })
            return 'regenerated'
        })
        .post('/logout', ({ destroyScopedSession }) => {
            destroyScopedSession()
            return 'destroyed'
        })
        .post('/logout-notice', ({ destroyScopedSession, regenerateScopedSession, scopedStore }) => {
            destroyScopedSession()
            regenerateScopedSession()
            scopedStore.theme = 'bye'
            return 'bye'
        })
        .post('/fail', ({ scopedStore }) => {
            scopedStore.theme = 'lost'
            throw status(418, 'nope')
        })
        .post('/soft-fail', ({ scopedStore }) => {
            scopedStore.count += 10
            return status(400, 'kept')
        })
}
export const makeApp = (secrets: string[], store: Store, now: () => number, serializeRequests: boolean): Handler =>
    new Elysia()
        .use(routeModule('/a', secrets, store, now, serializeRequests))
        .use(routeModule('/b', secrets, store, now, serializeRequests))

type ScopedView = { count: number; tags: string[]; note: string; theme: string }

/**
 * `serialized`: the memory store with `serializeRequests`; `asynchronous`: the memory store
 * answering with promises. Both take the locking path, which must answer sequential requests
 * alike. `redis`: a real redis-server; `redisPair`: two app instances on it, each with its own
 * Redis store object, as two processes behind a load balancer (setups.ts).
 */
export type StoreKind = 'memory' | 'sqlite' | 'serialized' | 'asynchronous' | 'redis' | 'redisPair'
