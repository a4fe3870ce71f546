/**
 * A request broke a state rule (a value that cannot be stored, state over the size
 * limit, a change that collided with a concurrent one), or met state saved by a newer
 * version of the app (503). Nothing is written: the session keeps its previous state.
 */
export class ScopedStateError extends Error {
    constructor(
        message: string,
        readonly status: 409 | 413 | 500 | 503
    ) {
        super(message)
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
 * The plugin cannot work with the options or setup it was given (no secret in
 * production, a default that cannot be stored). Thrown by `scopedState()` itself, so
 * an app fails at startup; only a misuse that no setup shows (two instances sharing a
 * store on one route) is thrown by the first request that meets it.
 */
export class ScopedStateSetupError extends Error {
    override name = 'ScopedStateSetupError'
}
