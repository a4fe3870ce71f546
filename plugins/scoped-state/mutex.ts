/**
 * One request at a time per session inside this process, when the plugin locks
 * (asynchronous stores, `serializeRequests`): a handler's read-modify-write is never
 * lost to a concurrent request of the same session, even when handlers await.
 * Sessions never wait on each other.
 */
export class SessionMutex {
    #waiting = new Map<string, Array<() => void>>()

    /** Resolves (at once when the session is free) when the caller holds `id`. */
    acquire(id: string): undefined | Promise<void> {
        const queue = this.#waiting.get(id)
        if (!queue) {
            this.#waiting.set(id, [])
            return undefined
        }
        return new Promise((resolve) => queue.push(resolve))
    }

    /** Hands `id` to the next waiting request, or frees it. */
    release(id: string) {
        const queue = this.#waiting.get(id)
        const next = queue?.shift()
        if (next) next()
        else this.#waiting.delete(id)
    }
}
