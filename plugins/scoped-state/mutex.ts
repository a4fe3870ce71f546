/**
 * One request at a time per session inside this process, when the plugin locks
 * (asynchronous stores, `serializeRequests`): a handler's read-modify-write is never
 * lost to a concurrent request of the same session, even when handlers await.
 * Sessions never wait on each other.
 */
import { ScopedStateSetupError } from './errors'

export class SessionMutex {
    #waiting = new Map<string, Array<() => void>>()
    /** The handling of a request that holds each session. */
    #holders = new Map<string, object>()

    /**
     * Resolves (at once when the session is free) when `handling` holds `id`: one handling of a
     * request, which two plugin instances on its route share (a retry of it is another).
     */
    acquire(id: string, handling: object): undefined | Promise<void> {
        const queue = this.#waiting.get(id)
        if (!queue) {
            this.#waiting.set(id, [])
            this.#holders.set(id, handling)
            return undefined
        }
        // Two plugin instances sharing a store on one route: the second would wait for the first forever.
        if (this.#holders.get(id) === handling)
            throw new ScopedStateSetupError(
                'scopedState: two instances that share a store run on one route; use one instance there, or a store each.'
            )
        return new Promise((resolve) =>
            queue.push(() => {
                this.#holders.set(id, handling)
                resolve()
            })
        )
    }

    /** Hands `id` to the next waiting request, or frees it. */
    release(id: string) {
        const queue = this.#waiting.get(id)
        const next = queue?.shift()
        if (next) return next()
        this.#waiting.delete(id)
        this.#holders.delete(id)
    }
}
