/**
 * A request broke a state rule (a value that cannot be stored, state over the size
 * limit, a change that collided with a concurrent one). Nothing is written: the session
 * keeps its previous state.
 */
export class ScopedStateError extends Error {
    constructor(
        message: string,
        readonly status: 409 | 413 | 500
    ) {
        super(message)
        this.name = 'ScopedStateError'
    }

    toResponse() {
        return new Response(this.message, {
            status: this.status,
            headers: { 'content-type': 'text/plain; charset=utf-8' }
        })
    }
}
