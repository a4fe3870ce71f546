/**
 * scoped-state: per-user server-side state for Elysia, keyed by a signed session
 * cookie and typed from a setup object.
 *
 * @example
 * new Elysia()
 *   .use(scopedState({ count: { value: 0 }, theme: { value: 'light', preserve: true } }))
 *   .post('/api/increment', ({ scopedStore }) => ++scopedStore.count)
 *
 * Handlers get `scopedStore` (read and assign keys), `resetScopedStore(ignorePreserve?)`,
 * `regenerateScopedSession()` (new id, preserved keys kept: call it at login),
 * `destroyScopedSession()` (state deleted, cookie cleared), `scopedPageId` (hand it
 * back from pages; see GUIDE.md), `scopedSessionId()` (the id to record with an account),
 * `endScopedSession(id)` (ends another session of the store), `peekScopedSession(id)` (reads
 * one, for a data download) and `scopedStateSize()` (the state's bytes against `maxStateBytes`,
 * to refuse or trim a change before the save does). The caller still owns: a strong `secret` in
 * production, HTTPS, CSRF checks on unsafe methods, keeping shared caches off responses
 * that show state (`Cache-Control: no-store`), and awaiting the store's `close()` on
 * shutdown (README.md).
 */
import { Elysia } from 'elysia'
import { refuseUnsupportedConfig } from './app-config.js'
import { DerivedContext, type HandlerContext } from './context.js'
import { sessionCookie } from './cookie.js'
import { holdDefaultStore } from './default-store.js'
import { createEngine } from './engine.js'
import { ScopedStateSetupError } from './errors.js'
import type { ScopedStateOptions } from './options.js'
import { recordFormat } from './record.js'
import type { ResponseSet } from './response-headers.js'
import { compileSetup, type ScopedStore, type SetupCheck, type StateSetup } from './schema.js'
import type { ScopedSession } from './session.js'
import { createSigner, resolveSecrets } from './signer.js'
import { memoryStore } from './stores/memory.js'
import { wholeNumber } from './whole-number.js'

export type { HandlerContext as ScopedContext } from './context.js'
export { type CookieAttributes, cameOverHttps } from './cookie.js'
export {
    CollisionError,
    ScopedStateError,
    ScopedStateSetupError,
    SessionEndedError,
    StalePageError,
    UnreadableStateError
} from './errors.js'
export type { ScopedStateOptions } from './options.js'
export { isHistoryRestore, PAGE_HEADER, PAGE_PARAM, withPageId } from './page-load.js'
export type { ScopedStateSize } from './record-size.js'
export type { ScopedStore, SetupCheck, StateField, StateSetup } from './schema.js'
export type { ScopedSnapshot } from './snapshot.js'
export type { Store, StoreStats } from './store.js'
export { type EndedSession, endedAgo, SESSION_ENDED, StoreUnavailableError } from './store.js'
export type { ExpiryReason, OnExpire } from './stores/expiry-listener.js'
export { type MemoryStoreOptions, memoryStore, SESSION_BYTES } from './stores/memory.js'
export { type RedisStoreOptions, redisStore } from './stores/redis.js'
export { type SqliteStore, type SqliteStoreOptions, sqliteStore } from './stores/sqlite.js'

/**
 * What `derive` reads from Elysia's context. Not `url`: asking for it makes Elysia build the
 * URL on every request, and only a new cookie or a navigation needs it.
 */
type RequestInfo = { request: Request; set: ResponseSet; scopedSession?: ScopedSession }
/** What the after-hooks read from Elysia's context: the session is absent when `derive` failed. */
type CommitContext<Setup extends StateSetup> = Partial<DerivedContext<Setup>> & {
    set: ResponseSet
    /** What the handler returned. */
    responseValue: unknown
}

/** `value` of option `name`, checked to be a whole number of seconds (a cookie's `Max-Age`) from `min` up. */
const secondsOption = (name: string, value: number, min: number) =>
    wholeNumber('scopedState', name, value, { unit: 'seconds', min })

/**
 * How often the cookie is re-sent. That is also when the session's idle clock restarts (its
 * `Max-Age` and its signed issue time), so it must come before `idleTimeout` runs out: else
 * even an active session would end.
 */
const refreshInterval = (idleTimeout: number, refreshAfter = Math.min(3_600, Math.floor(idleTimeout / 10))) => {
    if (secondsOption('refreshAfter', refreshAfter, 0) >= idleTimeout)
        throw new ScopedStateSetupError(
            `scopedState: refreshAfter (${refreshAfter} s) must be shorter than idleTimeout (${idleTimeout} s): ` +
                'the idle clock restarts only when the cookie is re-sent, so active sessions would expire.'
        )
    return refreshAfter
}

/**
 * A number per store object, for the plugin's `seed`. Elysia drops a plugin whose name and
 * seed it has seen, comparing seeds as JSON, in which two stores look alike: an instance
 * given a store of its own would be dropped as a copy of another, and use that one's store.
 */
const identities = new WeakMap<object, number>()
let identified = 0
const identity = (value: object | undefined) => {
    if (value === undefined) return undefined
    const known = identities.get(value)
    if (known !== undefined) return known
    identities.set(value, ++identified)
    return identified
}

/**
 * A second instance on a route would replace the first's `scopedStore`, and both would commit its session.
 * Made apart by mistake, or on purpose (a cookie for the sign-in beside one for each subdomain): both are told.
 */
const twoInstances = () =>
    new ScopedStateSetupError(
        'scopedState: two instances run on one route (created apart, with another setup, cookie, store, migrate or now?). ' +
            'Create the instance once and .use() it in every module that reads state; ' +
            'one route reads one session, so an instance with a cookie of its own needs routes of its own.'
    )

export const scopedState = <Setup extends StateSetup, Changed = Partial<ScopedStore<Setup>>>(
    setup: Setup & NoInfer<SetupCheck<Setup>>,
    options: ScopedStateOptions<NoInfer<Setup>, Changed> = {}
) => {
    const now = options.now ?? Date.now
    const cookieName = options.cookieName ?? 'user_session_id'
    const idleTimeout = secondsOption('idleTimeout', options.idleTimeout ?? 604_800, 1)
    // Checked before a store is taken: a refused option leaves none held.
    const settings = {
        format: recordFormat(compileSetup(setup), options.version, options.migrate),
        signer: createSigner(
            // Not `process.env.NODE_ENV`: `bun build --compile` fixes that at build time, not at run time.
            resolveSecrets(options.secret, options.production ?? Bun.env.NODE_ENV === 'production')
        ),
        cookieName,
        cookie: sessionCookie(cookieName, options.cookie ?? {}),
        idleTimeout,
        absoluteTimeout: secondsOption('absoluteTimeout', options.absoluteTimeout ?? 2_592_000, 1),
        refreshAfter: refreshInterval(idleTimeout, options.refreshAfter),
        maxStateBytes: wholeNumber('scopedState', 'maxStateBytes', options.maxStateBytes ?? 16_384, {
            unit: 'bytes',
            min: 1
        }),
        // Fewer than one would drop the page scope a request just wrote.
        maxPages: wholeNumber('scopedState', 'maxPages', options.maxPages ?? 16, { unit: 'page scopes', min: 1 }),
        now
    }
    const given = options.store ?? (options.now ? memoryStore({ now }) : undefined)
    // A store given (or made for a custom clock) is this instance's to close; else it shares the default.
    const { store, release: letGoOfStore } = given
        ? { store: given, release: () => given.close() }
        : holdDefaultStore(cookieName)
    const locking = options.serializeRequests === true || !store.synchronous
    const engine = createEngine({ ...settings, store, locking })

    let closing: Promise<void> | undefined

    // Elysia compiles a route as async when any hook looks async (it reads the hook's
    // source: `async`, `await`, `return call(…)`), and serves sync routes much faster.
    // So without locking the hooks are free of those; only locking (an asynchronous
    // store, or `serializeRequests`) pays for awaiting.
    const hooks = !locking
        ? {
              derive: function deriveScopedState({ request, set, scopedSession }: RequestInfo) {
                  if (scopedSession) throw twoInstances()
                  const session = engine.open(request, set) as ScopedSession
                  return new DerivedContext<Setup>(session, engine, request)
              },
              commit: function commitScopedState({ scopedSession, set, responseValue }: CommitContext<Setup>) {
                  // Not `return engine.commit(…)`: Elysia would take the hook for an async one.
                  const replaced = engine.commit(scopedSession, set, responseValue) as Response | undefined
                  if (replaced) return replaced
                  return undefined
              }
          }
        : {
              derive: async function deriveScopedState({ request, set, scopedSession }: RequestInfo) {
                  if (scopedSession) throw twoInstances()
                  const session = await engine.open(request, set)
                  return new DerivedContext<Setup>(session, engine, request)
              },
              commit: async function commitScopedState({ scopedSession, set, responseValue }: CommitContext<Setup>) {
                  return await engine.commit(scopedSession, set, responseValue)
              }
          }

    const plugin = new Elysia({
        name: 'scoped-state',
        seed: {
            setup,
            ...options,
            store: identity(options.store),
            // By their source: a factory that writes them inline makes new ones on every call.
            now: options.now && String(options.now),
            migrate: options.migrate && String(options.migrate)
        }
    })
        .onStart(({ server, config }) => {
            refuseUnsupportedConfig(config, cookieName, !locking)
            // Knowing the scheme, the cookie's `Secure` flag needs no request URL (costly to build in Bun).
            engine.listenOn(server?.protocol ?? undefined)
        })
        // Route modules may each use this instance: let go of the store once. A store given is
        // closed; the shared default one only when its last instance lets go (default-store.ts).
        .onStop(() => {
            if (!closing) closing = Promise.resolve(letGoOfStore())
            return closing
        })
        .derive({ as: 'scoped' }, hooks.derive as (context: RequestInfo) => HandlerContext<Setup>)
        .onAfterHandle({ as: 'scoped' }, hooks.commit as (context: object) => undefined)
    // Only the locking path (an asynchronous store, or `serializeRequests`) holds something to
    // release when a request fails; a hook costs every route, so the other path goes without.
    // Released on error and after the response, whichever runs first (the second finds nothing
    // held): Elysia stops at the first error hook that answers, which may be the app's own; when
    // none answers, it runs after-response hooks only once the response is out, or not at all
    // (Elysia 1.4, for the plugin's own 409 of a forged page id). An app error hook that throws
    // skips both: the session's hold then lapses after `lockLease`.
    const { abort, release: releaseHeld } = engine
    if (!abort || !releaseHeld) return plugin
    type Held = Partial<DerivedContext<Setup>> & { set: ResponseSet }
    return plugin
        .onError({ as: 'scoped' }, function releaseScopedState({ scopedSession, set }: Held) {
            releaseHeld(scopedSession, set)
        } as (context: object) => void)
        .onAfterResponse({ as: 'scoped' }, function abortScopedState({ scopedSession, set }: Held) {
            abort(scopedSession, set)
        } as (context: object) => void)
}
