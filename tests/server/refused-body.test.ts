/**
 * A body refused by its declared length (413), or for declaring none (411, chunked), is read, up to a bound, before the refusal is sent:
 * closed with the body unread, the socket sends a reset, and Firefox, still uploading, dropped the
 * answer for it. Over raw sockets, to see the order of what is sent and answered.
 */
import { afterEach, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import type { DrainLimits } from '../../server/refused-body'
import { MAX_BODY_BYTES, security } from '../../server/security'

let stop = async () => {}
afterEach(() => stop())

/** A server with the app's security hook, its drain limits as given, and a route that would take any body. */
const serving = (drain: DrainLimits) => {
    const app = new Elysia()
        .use(security({ drain }))
        .post('/upload', () => 'taken')
        .listen({ port: 0, hostname: '127.0.0.1' })
    stop = async () => {
        stop = async () => {}
        await app.stop(true)
    }
    return app.server?.port ?? 0
}

interface Upload {
    /** What the server answered, as it arrived. */
    answer: string
    /** Bytes of body the client had sent when the answer's first byte came. */
    sentBeforeAnswer: number
    /** Bytes of body the client had sent when the connection closed. */
    sent: number
    /** Why the connection failed, if it did not close cleanly (a reset). */
    failure?: string
}

/**
 * POSTs headers with `framing` (`declaring(bytes)`, or chunked), then writes `chunks` of body one
 * after the other, each once the last is taken (a slow client), until it has written them all or
 * the server closes. Resolves once the connection is closed.
 */
const upload = (port: number, framing: string, chunks: Iterable<Uint8Array>) =>
    new Promise<Upload>((resolve) => {
        const result: Upload = { answer: '', sentBeforeAnswer: -1, sent: 0 }
        const pending = chunks[Symbol.iterator]()
        let rest: Uint8Array | undefined
        const writeMore = (socket: Bun.Socket) => {
            for (;;) {
                rest ??= pending.next().value
                if (!rest) return
                const written = socket.write(rest)
                if (written < 0) return
                result.sent += written
                rest = written < rest.byteLength ? rest.subarray(written) : undefined
                // Taken in part: the kernel's buffers are full, `drain` says when to go on.
                if (rest) return
                // One chunk per turn of the event loop: the server sees the body arrive in parts.
                setImmediate(() => writeMore(socket))
                return
            }
        }
        Bun.connect({
            hostname: '127.0.0.1',
            port,
            socket: {
                open: (socket) => {
                    socket.write(`POST /upload HTTP/1.1\r\nhost: 127.0.0.1\r\n${framing}\r\n\r\n`)
                    writeMore(socket)
                },
                drain: (socket) => writeMore(socket),
                data: (_, chunk) => {
                    if (result.sentBeforeAnswer < 0) result.sentBeforeAnswer = result.sent
                    result.answer += chunk.toString()
                },
                close: () => resolve(result),
                error: (_, error) => {
                    result.failure = error.message
                    resolve(result)
                }
            }
        })
    })

const declaring = (bytes: number) => `content-length: ${bytes}`
const CHUNKED = 'transfer-encoding: chunked'

/** `count` chunks of `size` bytes. */
function* chunksOf(size: number, count: number) {
    for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(120)
}

/** The same chunks framed for `Transfer-Encoding: chunked`, then the last, empty one. */
function* framed(chunks: Iterable<Uint8Array>) {
    for (const chunk of chunks)
        yield Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    yield Buffer.from('0\r\n\r\n')
}

/** The whole refusal the server sends a script, body included. */
const complete = (status: number, text: string) =>
    new RegExp(
        `^HTTP/1\\.1 ${status} [^\\r]*\\r\\n[\\s\\S]*\\r\\nconnection: close\\r\\n[\\s\\S]*\\r\\n\\r\\n${text}$`,
        'i'
    )
const COMPLETE_413 = complete(413, 'Payload Too Large')

test('a client uploading 200 000 bytes slowly sends them all, then reads the whole 413, and the server closes cleanly', async () => {
    const port = serving({ maxMs: 60_000 })
    const done = await upload(port, declaring(200_000), chunksOf(10_000, 20))
    expect(done.failure).toBeUndefined()
    expect(done.sentBeforeAnswer).toBe(200_000)
    expect(done.answer).toMatch(COMPLETE_413)
})

test('a client uploading 200 000 bytes in chunks (no length declared) sends them all, then reads the whole 411', async () => {
    const port = serving({ maxMs: 60_000 })
    const chunks = [...framed(chunksOf(10_000, 20))]
    const done = await upload(port, CHUNKED, chunks)
    expect(done.failure).toBeUndefined()
    expect(done.sentBeforeAnswer).toBe(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0))
    expect(done.answer).toMatch(complete(411, 'Length Required'))
})

test('a client sending far more than the bound is cut off after it: the server does not read without end', async () => {
    const maxBytes = 4 * MAX_BODY_BYTES
    const declared = 64 * 1024 * 1024
    const port = serving({ maxBytes, maxMs: 60_000 })
    const done = await upload(port, declaring(declared), chunksOf(65_536, declared / 65_536))
    // What it wrote beyond the bound is what the kernel's buffers took, not the 64 MiB it declared.
    expect(done.sent).toBeGreaterThan(maxBytes)
    expect(done.sent).toBeLessThan(declared / 2)
})

test('a client that stops sending is answered once the time bound is up (a shutdown waits no longer for it), and reads the whole 413', async () => {
    const port = serving({ maxMs: 50 })
    const done = await upload(port, declaring(200_000), chunksOf(1_000, 1))
    expect(done.sent).toBe(1_000)
    expect(done.failure).toBeUndefined()
    expect(done.answer).toMatch(COMPLETE_413)
})
