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
 * `destroyScopedSession()` (state deleted, cookie cleared) and `scopedPageId` (hand it
 * back from pages; see README). The caller still owns: a strong `secret` in
 * production, HTTPS, and CSRF checks on unsafe methods.
 */
import { Elysia } from 'elysia'
import { createEngine } from './engine'
import type { ScopedStateOptions } from './options'
import { compileSetup, type ScopedStore, type StateSetup } from './schema'
import type { ScopedSession } from './session'
import { createSigner, resolveSecrets } from './signer'
import { memoryStore } from './stores/memory'

export type { CookieAttributes } from './cookie'
export { ScopedStateError } from './errors'
export type { ScopedStateOptions } from './options'
export { PAGE_HEADER, PAGE_PARAM, withPageId } from './page-load'
export type { ScopedStore, StateField, StateSetup } from './schema'
export type { Store, StoreStats } from './store'
export { StoreUnavailableError } from './store'
export { type MemoryStoreOptions, memoryStore } from './stores/memory'
export { type RedisStoreOptions, redisStore } from './stores/redis'
export { type SqliteStoreOptions, sqliteStore } from './stores/sqlite'

const SESSION = Symbol('scoped-state session')

/** `scopedStore` is this proxy over the request's session: one flat object, typed from the setup. */
const storeHandler: ProxyHandler<ScopedSession> = {
    get: (session, key) => (typeof key === 'string' ? session.read(key) : undefined),
    set(session, key, value) {
        if (typeof key !== 'string') return false
        session.write(key, value)
        return true
    },
    has: (session, key) => typeof key === 'string' && session.has(key),
    ownKeys: (session) => session.keys(),
    getOwnPropertyDescriptor: (session, key) =>
        typeof key === 'string' && session.has(key)
            ? { value: session.read(key), writable: true, enumerable: true, configurable: true }
            : undefined,
    deleteProperty: () => false,
    defineProperty: () => false
}

export const scopedState = <Setup extends StateSetup>(setup: Setup, options: ScopedStateOptions = {}) => {
    const now = options.now ?? Date.now
    const store = options.store ?? memoryStore({ now })
    const engine = createEngine({
        fields: compileSetup(setup),
        store,
        signer: createSigner(
            resolveSecrets(options.secret, options.production ?? process.env.NODE_ENV === 'production')
        ),
        cookieName: options.cookieName ?? 'user_session_id',
        cookie: options.cookie ?? {},
        idleTimeout: options.idleTimeout ?? 604_800,
        absoluteTimeout: options.absoluteTimeout ?? 2_592_000,
        refreshAfter: options.refreshAfter ?? 3_600,
        maxStateBytes: options.maxStateBytes ?? 16_384,
        maxPages: options.maxPages ?? 16,
        now
    })

    let closing: Promise<void> | undefined

    const derive = (session: ScopedSession, request: Request, set: Parameters<typeof engine.regenerate>[2]) => ({
        scopedStore: new Proxy(session, storeHandler) as unknown as ScopedStore<Setup>,
        scopedPageId: session.pageId,
        resetScopedStore: (ignorePreserve = false) => session.reset(ignorePreserve),
        regenerateScopedSession: () => engine.regenerate(session, request, set),
        destroyScopedSession: () => engine.destroy(session, request, set),
        [SESSION]: session
    })

    return (
        new Elysia({
            name: 'scoped-state',
            seed: { setup, ...options, store: undefined, now: undefined }
        })
            // Route modules may each use this instance: close the store once.
            .onStop(() => {
                if (!closing) closing = Promise.resolve(store.close())
                return closing
            })
            .derive({ as: 'scoped' }, ({ request, set }) => {
                const session = engine.open(request, set)
                return session instanceof Promise
                    ? session.then((opened) => derive(opened, request, set))
                    : derive(session, request, set)
            })
            .onAfterHandle({ as: 'scoped' }, (context) => {
                const committed = engine.commit((context as { [SESSION]?: ScopedSession })[SESSION])
                if (committed instanceof Promise) return committed.then(() => undefined)
            })
            .onError({ as: 'scoped' }, (context) => {
                engine.abort((context as { [SESSION]?: ScopedSession })[SESSION])
            })
    )
}
