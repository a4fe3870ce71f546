/**
 * A request broke a state rule (a value that cannot be stored, state over the size
 * limit, a change that collided with a concurrent one), or met state saved by a newer
 * version of the app (503). Nothing is written: the session keeps its previous state.
 */
export class ScopedStateError extends Error {
    constructor(
        message: string,
        readonly status: 409 | 413 | 500 | 503,
        options?: ErrorOptions
    ) {
        super(message, options)
        this.name = 'ScopedStateError'
    }

    toResponse() {
        const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }
        // A 503 comes from a rolling deploy: a retry may reach an upgraded instance.
        if (this.status === 503) headers['retry-after'] = '1'
        return new Response(this.message, { status: this.status, headers })
    }
}

/**
 * The session's stored state cannot be read by this setup: it was saved by a newer version
 * of the app (503: instances already upgraded, or a rollback), or `migrate` failed on it
 * (500). It is left as it is. Pages that read no state still load, and
 * `resetScopedStore(true)` and `destroyScopedSession()` start over: an app can offer those.
 */
export class UnreadableStateError extends ScopedStateError {
    constructor(message: string, status: 500 | 503, options?: ErrorOptions) {
        super(message, status, options)
        this.name = 'UnreadableStateError'
    }
}

/**
 * Another request of the session saved it while this one ran, and this one cannot merge with it.
 * A class of its own, as each 409: an app that words its errors itself (in the user's language)
 * tells them apart by class, not by this English message.
 */
export class CollisionError extends ScopedStateError {
    constructor() {
        super('Another request changed the same state at the same time; nothing was saved. Please try again.', 409)
        this.name = 'CollisionError'
    }
}

/**
 * The request changed a session that was ended (a logout, a login, expiry) while it ran or
 * just before it came (a form sent twice). Or the answer that ended it, with the new cookie,
 * never reached the browser: a reload then sends the same cookie, refused for the grace
 * minute (ended-ids.ts), so the message says to wait that out.
 */
export class SessionEndedError extends ScopedStateError {
    constructor() {
        super(
            'This session has ended (signed in or out, or expired); nothing was saved. Reload the page; if this comes back, wait a minute, then reload.',
            409
        )
        this.name = 'SessionEndedError'
    }
}

/**
 * The request names a page of another session (one ended by a login, a logout or expiry,
 * or a forged id) and read or wrote that page's values (keys without `preserve`). Read as
 * the session's default scope, the user's open tabs would mix their values; the page is
 * out of date and must be loaded again. Preserved keys, login and logout still work.
 */
export class StalePageError extends ScopedStateError {
    constructor(
        /**
         * The request brought no cookie of the session's name: signed out in another tab, expired,
         * cleared, or refused by the browser (cookies blocked, a `Secure` cookie over plain http).
         * A reload does not help in the last case, so the message says what it looks like.
         */
        readonly cookieMissing = false
    ) {
        super(
            cookieMissing
                ? "This page is out of date: its session cookie did not come with the request (signed out, expired, or refused by your browser). Reload it; if this message returns, your browser is refusing this site's cookie (cookies blocked, or the site served over plain http)."
                : 'This page is out of date: its session has ended (signed in or out, or expired). Reload it.',
            409
        )
        this.name = 'StalePageError'
    }
}

/**
 * The plugin cannot work with the options or setup it was given (no secret in
 * production, a default that cannot be stored). Thrown by `scopedState()` itself, so
 * an app fails at startup; only a misuse that no setup shows (two instances sharing a
 * store on one route, a store that breaks its contract) is thrown by the first request
 * that meets it.
 */
export class ScopedStateSetupError extends Error {
    override name = 'ScopedStateSetupError'
}

/** What a store answered, said in a message. */
const answered = (answer: unknown) =>
    answer === null ? 'null' : typeof answer === 'object' ? 'an object' : `a ${typeof answer}`

/** Whether a store's answer is a promise (or any thenable). */
export const isPromise = (answer: unknown) => typeof (answer as PromiseLike<unknown> | null)?.then === 'function'

/**
 * A store's `call` answered what store.ts rules out: a promise from a store that says it is
 * `synchronous` (read as a record, it would start every session over), a `peek` answer that is
 * neither a string nor `undefined`, or a `load` answer
 * that is neither a string, `undefined`, `SESSION_ENDED` nor an `endedAgo(ms)` of a time (a
 * driver's `null` or `false`, a JSON column's parsed object, the `SESSION_ENDED` or `endedAgo` of
 * another copy of the plugin, `endedAgo(NaN)`). Such a
 * promise's rejection is caught here: unhandled, it would end a Bun process.
 */
export const storeContractError = (call: 'load' | 'save' | 'delete' | 'peek', answer: unknown) => {
    const promised = isPromise(answer)
    if (promised) Promise.resolve(answer).catch(() => {})
    return new ScopedStateSetupError(
        promised
            ? `scopedState: the store says synchronous: true, but its ${call}() returned a promise. Leave synchronous ` +
                  'unset for a store whose calls are asynchronous: the plugin then awaits them.'
            : `scopedState: the store's ${call}() answered ${answered(answer)}: it must answer ` +
                  'the string its save() was given, as it was, or undefined when it holds none.'
    )
}
