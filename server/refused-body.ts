/**
 * Reads and discards the body of a request refused by its declared length (413, 411) before the
 * refusal is sent, as nginx's `lingering_close` does after it. Closed with the body's bytes still
 * unread in its buffer, the socket sends a TCP reset, and a client still uploading (Firefox) may
 * drop the answer for it, telling its user that the connection was reset. Not after the answer:
 * Bun ends a request's body once it is answered (reading it then fails, "The connection was
 * closed"), with `Connection: close` or without.
 *
 * Bounded in bytes and in time, so that a client sending far more (up to Bun's own limit,
 * `server/listen.ts`), or sending it slowly, costs the server a capped read, and a shutdown waits
 * at most `maxMs` for a refused upload: then the answer is sent and the connection closed
 * whatever is left, which that client may lose.
 *
 * @example
 * return afterDraining(request, 'Payload Too Large') // resolves once the body is read, or a cap is hit
 */

export interface DrainLimits {
    /** Bytes read before giving up: 16 times the app's limit, a photo picked by mistake. @default 1 MiB */
    maxBytes?: number
    /** Milliseconds spent reading before giving up. @default 2000 */
    maxMs?: number
}

const DRAIN_MAX_BYTES = 1_048_576
const DRAIN_MAX_MS = 2_000

const drain = async (body: ReadableStream<Uint8Array>, maxBytes: number, maxMs: number) => {
    const reader = body.getReader()
    // Cancelled, the read in progress ends as done.
    const timer = setTimeout(() => void reader.cancel().catch(() => {}), maxMs)
    try {
        let read = 0
        while (read <= maxBytes) {
            const chunk = await reader.read()
            if (chunk.done) return
            read += chunk.value.byteLength
        }
        await reader.cancel()
    } catch {
        // The client went away: the answer then goes nowhere.
    } finally {
        clearTimeout(timer)
    }
}

/** `answer`, once what arrives of `request`'s body has been read and discarded, up to the limits. */
export const afterDraining = async <T>(
    request: Request,
    answer: T,
    { maxBytes = DRAIN_MAX_BYTES, maxMs = DRAIN_MAX_MS }: DrainLimits = {}
) => {
    if (request.body) await drain(request.body, maxBytes, maxMs)
    return answer
}
