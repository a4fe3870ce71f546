/**
 * The app the model test runs against: its limits and timeouts, the state it declares, and
 * two route modules that each create the plugin on one shared store.
 */
import { Elysia, status } from 'elysia'
import { type ScopedStateSize, type Store, scopedState } from '../../../plugins/scoped-state'
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

/** A request carrying this header (ops.ts `sized`) has its handler call `scopedStateSize()` after its last change. */
export const SIZE_HEADER = 'x-model-size'
/** What `scopedStateSize()` told the handlers of the request running, for the harness to take. */
export const told: ScopedStateSize[] = []
type Sizing = { request: Request; scopedStateSize: () => ScopedStateSize }
/**
 * Called after the handler's last change and its reads: in a request that has its own copy of the
 * state (a write, a page load), a key first read after it is stored as its default, and counts.
 */
const askSize = ({ request, scopedStateSize }: Sizing) => {
    if (request.headers.has(SIZE_HEADER)) told.push(scopedStateSize())
}
/**
 * Before the handler's change too, as a handler that checks the room first (the RECIPES editor
 * asks, trims, asks again), then reads a preserved key it does not write: asking must not make
 * the request store that key's default.
 */
const askFirst = (context: Sizing & { scopedStore: ScopedView }) => {
    if (!context.request.headers.has(SIZE_HEADER)) return
    context.scopedStateSize()
    void context.scopedStore.theme
}

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
    const view = (context: Sizing & { scopedStore: ScopedView; scopedPageId: string }) => {
        const { scopedStore, scopedPageId } = context
        const shown = {
            page: scopedPageId,
            count: scopedStore.count,
            tags: scopedStore.tags,
            note: scopedStore.note.length,
            theme: scopedStore.theme
        }
        askSize(context)
        return shown
    }
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
        .get('/theme', (context) => {
            const { theme } = context.scopedStore
            askSize(context)
            return theme
        })
        .post('/inc', (context) => {
            askFirst(context)
            const count = ++context.scopedStore.count
            askSize(context)
            return String(count)
        })
        .post('/tag/:tag', (context) => {
            askFirst(context)
            const { tags } = context.scopedStore
            tags.push(context.params.tag)
            askSize(context)
            return tags.join(',')
        })
        .post('/note/:size', (context) => {
            askFirst(context)
            context.scopedStore.note = 'x'.repeat(Number(context.params.size))
            askSize(context)
            return context.params.size
        })
        .post('/theme/:theme', (context) => {
            context.scopedStore.theme = context.params.theme
            askSize(context)
            return context.params.theme
        })
        .post('/reset', (context) => {
            context.resetScopedStore()
            askSize(context)
            return 'reset'
        })
        .post('/full-reset', (context) => {
            context.resetScopedStore(true)
            askSize(context)
            return 'full reset'
        })
        .post('/login', (context) => {
            const { remember } = context.query
            context.regenerateScopedSession(remember === undefined ? undefined : { persistent: remember === '1' })
            askSize(context)
            return 'regenerated'
        })
        .post('/logout', (context) => {
            context.destroyScopedSession()
            askSize(context)
            return 'destroyed'
        })
        .post('/logout-notice', (context) => {
            context.destroyScopedSession()
            context.regenerateScopedSession()
            context.scopedStore.theme = 'bye'
            askSize(context)
            return 'bye'
        })
        .post('/fail', (context) => {
            context.scopedStore.theme = 'lost'
            askSize(context)
            throw status(418, 'nope')
        })
        .post('/soft-fail', (context) => {
            askFirst(context)
            context.scopedStore.count += 10
            askSize(context)
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
 * Redis store object, as two processes behind a load balancer (setups.ts); `sqlitePair`: the same
 * on one SQLite file.
 */
export type StoreKind = 'memory' | 'sqlite' | 'sqlitePair' | 'serialized' | 'asynchronous' | 'redis' | 'redisPair'
