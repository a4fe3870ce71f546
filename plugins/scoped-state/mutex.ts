/**
 * One request at a time per session inside this process, when the plugin locks
 * (asynchronous stores, `serializeRequests`): a handler's read-modify-write is never
 * lost to a concurrent request of the same session, even when handlers await.
 * Sessions never wait on each other.
 *
 * A hold lapses after the store's lease, when another request waits: once a request has
 * held a session for `lease` milliseconds, the next request of that session waiting here
 * takes it over, and the late request may no longer save (`holds`). Without that, a
 * handler awaiting something that never settles, or an app error hook that throws (Elysia
 * then skips the hook that lets go), would stall every later request of the session in
 * this process for good. A hold does not lapse while its request writes to the store
 * (`writing`): a store that takes no lock of its own would apply that write after the next
 * request had loaded the record, and that request's save would undo it. It does once that
 * write has run a lease (from the hold's lapse, or from the write's start if later): a
 * store's calls settle well within it (store.ts), and one that never settles would
 * otherwise stall the session for good.
 */

/** Who holds a session, until when, and who waits for it. */
interface Hold {
    /** The handling of a request (Elysia's `set`) that holds the session. */
    handling: object
    /** `performance.now()` at which the hold lapses if another request waits. */
    until: number
    waiting: Array<{ handling: object; resume: () => void }>
    /** Set while requests wait: hands the session on when the hold lapses. */
    lapse: Timer | undefined
    /** The holder is writing to the store: a lapse waits for the write to settle, up to `writeBy`. */
    writing: boolean
    /** `performance.now()` past which a write in flight no longer keeps the hold. */
    writeBy: number
    /** The hold lapsed while its holder was writing: it lapses again once the write settles (or at `writeBy`). */
    lapsed: boolean
}

export class SessionMutex {
    #holds = new Map<string, Hold>()

    constructor(private readonly lease: number) {}

    /**
     * Resolves (at once when the session is free) when `handling` holds `id`: one handling of a
     * request (a retry of it is another).
     */
    acquire(id: string, handling: object): undefined | Promise<void> {
        const hold = this.#holds.get(id)
        if (!hold) {
            this.#holds.set(id, {
                handling,
                until: performance.now() + this.lease,
                waiting: [],
                lapse: undefined,
                writing: false,
                writeBy: 0,
                lapsed: false
            })
            return undefined
        }
        return new Promise((resume) => {
            hold.waiting.push({ handling, resume })
            if (!hold.lapse) this.#armLapse(id, hold)
        })
    }

    /** Whether `handling` still holds `id`: false once its hold lapsed and another took it. */
    holds(id: string, handling: object): boolean {
        return this.#holds.get(id)?.handling === handling
    }

    /**
     * `handling`, holding `id`, writes to the store: its hold does not lapse until the returned
     * function is called, when the write settled, or until the write ran a lease past the
     * hold's own. Nothing once the hold lapsed.
     */
    writing(id: string, handling: object): () => void {
        const hold = this.#holds.get(id)
        if (hold?.handling !== handling) return () => {}
        hold.writing = true
        hold.writeBy = Math.max(hold.until, performance.now()) + this.lease
        return () => {
            if (hold.handling !== handling || !hold.writing) return
            hold.writing = false
            if (hold.lapsed) this.#armLapse(id, hold)
        }
    }

    /** Hands `id` to the next waiting request, or frees it; nothing once the hold lapsed. */
    release(id: string, handling: object) {
        const hold = this.#holds.get(id)
        if (hold?.handling === handling) this.#handOn(id, hold)
    }

    #handOn(id: string, hold: Hold) {
        clearTimeout(hold.lapse)
        hold.lapse = undefined
        hold.writing = false
        hold.lapsed = false
        const next = hold.waiting.shift()
        if (!next) {
            this.#holds.delete(id)
            return
        }
        hold.handling = next.handling
        hold.until = performance.now() + this.lease
        if (hold.waiting.length > 0) this.#armLapse(id, hold)
        next.resume()
    }

    #armLapse(id: string, hold: Hold) {
        clearTimeout(hold.lapse)
        hold.lapsed = false
        hold.lapse = this.#timer(() => this.#lapse(id, hold), hold.until)
    }

    /** The lease is over: the hold goes to the next request, unless its holder is still writing. */
    #lapse(id: string, hold: Hold) {
        hold.lapse = undefined
        if (!hold.writing || performance.now() >= hold.writeBy) return this.#handOn(id, hold)
        hold.lapsed = true
        hold.lapse = this.#timer(() => this.#handOn(id, hold), hold.writeBy)
    }

    #timer(run: () => void, at: number) {
        // Not below 0: a time already past (a stalled event loop) would make Bun warn of a negative delay.
        const timer = setTimeout(run, Math.max(0, at - performance.now()))
        timer.unref()
        return timer
    }
}
