/**
 * What a handler gets from the plugin: `scopedStore` and the session functions.
 *
 * `DerivedContext` is what the derive hook returns, with the session the after-hooks read;
 * handlers see it without that session, as `HandlerContext`, exported by index.ts under the
 * public name `ScopedContext`.
 *
 * A class, so that the derive hook can end in `return new DerivedContext(…)`: Elysia
 * reads hook sources to decide whether a route is async (`return call(…)` counts),
 * and sync routes are served much faster. Its functions are own properties, so
 * Elysia's `Object.assign` into the handler context copies them.
 */
import type { ScopedStateSize } from './record-size.js'
import type { ScopedStore, StateSetup } from './schema.js'
import { type ScopedSession, SESSION } from './session.js'
import type { ScopedSnapshot } from './snapshot.js'
import type { MaybePromise } from './store.js'

/** The engine's session functions that handlers may call. */
interface SessionControl {
    regenerate(session: ScopedSession, request: Request, persistent?: boolean): void
    destroy(session: ScopedSession, request: Request): void
    end(session: ScopedSession, id: string): MaybePromise<void>
    /** Typed by the setup where the context is: the engine knows only its keys. */
    peek(id: string): MaybePromise<unknown>
}

/**
 * `scopedStore` is this proxy over the request's session: one flat object, typed from the setup.
 * Its prototype is a plain object's, as its type says: `toString()`, `hasOwnProperty()` and a
 * template string work, where the session's methods would be neither typed nor safe to call.
 */
const storeHandler: ProxyHandler<ScopedSession> = {
    get: (session, key, store) =>
        typeof key === 'string' && session.has(key)
            ? session.read(key)
            : key === SESSION
              ? session
              : Reflect.get(Object.prototype, key, store),
    getPrototypeOf: () => Object.prototype,
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
    defineProperty: () => false,
    // Forwarded, it would leave the session unable to take its own fields (a 500 at the save).
    preventExtensions: () => false,
    // Forwarded, it would take the session's methods away: a 500, and the plugin's own hooks throwing.
    setPrototypeOf: () => false
}

export class DerivedContext<Setup extends StateSetup> {
    /** The user's state: read and assign keys. */
    declare readonly scopedStore: ScopedStore<Setup>
    /** This page load's id (`''` outside a page scope): hand it back from the page. */
    declare readonly scopedPageId: string
    /** For the plugin's after-hooks only (left out of the handler's type). */
    declare readonly scopedSession: ScopedSession
    /** Back to defaults: this page scope; with `ignorePreserve`, everything (preserved keys, every tab). */
    declare readonly resetScopedStore: (ignorePreserve?: boolean) => void
    /**
     * New session id, old one dead at once, preserved keys carried over: call it at login.
     * `persistent: false` sends the cookie without `Max-Age`, so that the browser drops it
     * when it closes (a shared computer, "remember me" left unchecked), unless it is set to
     * restore its last session, which keeps such cookies too; the session still ends after
     * `idleTimeout` and `absoluteTimeout`. Left out, the session keeps its own
     * (a new visitor's outlives the browser).
     *
     * @example
     * regenerateScopedSession({ persistent: body.remember === 'on' })
     */
    declare readonly regenerateScopedSession: (options?: { persistent?: boolean | undefined }) => void
    /** Deletes the state and clears the cookie: call it at logout. */
    declare readonly destroyScopedSession: () => void
    /**
     * The id of this request's session in the store (after `regenerateScopedSession()`, the new
     * one): stable until the app regenerates or destroys it, to record with the account. Not a
     * credential (the cookie is signed), but keep it server-side, as the cookie.
     */
    declare readonly scopedSessionId: () => string
    /**
     * Ends another session of this store now, by its id (`scopedSessionId()` in its own request):
     * its record is deleted, a change its requests still make is refused (409 here; 503 from a
     * Redis lock held by another process), and its cookie starts a new session at once, in every
     * process sharing the store (the store's mark is dated past the grace minute that a logout
     * gives: no new cookie is on its way to that browser); a login still running whose new id it
     * ends fails (409). Returns the store's promise, if any: await it. A failure (503: the store down)
     * leaves the session ended in this process only, its record perhaps kept: call it again.
     * For the request's own session, call `destroyScopedSession()`.
     */
    declare readonly endScopedSession: (id: string) => MaybePromise<void>
    /**
     * Another session's state, by its id (`scopedSessionId()` in its own request), for a data
     * download: `{ session, pages }`, its preserved keys and each page scope's, defaults filled in;
     * `undefined` when it holds none (unknown, expired, ended). A read only: that session's life,
     * its lock and a request of it in flight are left alone. The app's own copy. Returns the store's
     * promise, if any (Redis): await it. A record this setup cannot read throws, as in its own request.
     */
    declare readonly peekScopedSession: (id: string) => MaybePromise<ScopedSnapshot<Setup> | undefined>
    /**
     * The state's size in UTF-8 bytes if this request were saved now, its changes so far included,
     * and `maxStateBytes`: `ownBytes` over `limit` fails the request with 413 once the handler
     * returns, so check it after a change that may grow the state, and undo or trim before returning.
     * `bytes` counts the other tabs' page scopes too, which the save drops to fit, least recently
     * written first; after `destroyScopedSession()`, 0. Computed at each call (a JSON of the state): no
     * cost to a request that does not call it. Ask after the handler's last `await`: without locking,
     * the save adds this request's changes to what another request of the session saved meanwhile.
     * And after its reads: a key first read after the call is saved with its default, uncounted.
     *
     * @example
     * scopedStore.text = body.text
     * const { ownBytes, limit } = scopedStateSize()
     * if (ownBytes > limit) throw status(413, 'That paste is too long.')
     */
    declare readonly scopedStateSize: () => ScopedStateSize

    // Declared above and assigned here, not emitted as class fields: JSC runs field
    // definitions as an extra pass per instance, which profiled at a sixth of a
    // request's CPU time.
    constructor(session: ScopedSession, control: SessionControl, request: Request) {
        this.scopedStore = new Proxy(session, storeHandler) as unknown as ScopedStore<Setup>
        this.scopedPageId = session.pageId
        this.scopedSession = session
        this.resetScopedStore = (ignorePreserve = false) => session.reset(ignorePreserve)
        this.regenerateScopedSession = (options) => control.regenerate(session, request, options?.persistent)
        this.destroyScopedSession = () => control.destroy(session, request)
        this.scopedSessionId = () => {
            session.idHandedOut = true
            return session.id.id
        }
        this.endScopedSession = (id) => control.end(session, id)
        // The engine's own function, not a closure: it needs nothing of the request.
        this.peekScopedSession = control.peek as (id: string) => MaybePromise<ScopedSnapshot<Setup> | undefined>
        this.scopedStateSize = () => session.size()
    }
}

/** What handlers see. */
export type HandlerContext<Setup extends StateSetup> = Omit<DerivedContext<Setup>, 'scopedSession'>
