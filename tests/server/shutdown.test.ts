/**
 * SIGTERM (and SIGINT, Ctrl-C): the server stops taking connections, finishes the request it is in the
 * middle of (its state is saved), closes the store, and exits 0; a request still unfinished
 * after a grace period has its connection closed.
 */
import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { countOf, setCookieOf } from '../helpers/client'
import { redisTest, useRedis } from '../helpers/redis'
import { type RunningServer, startServer } from '../helpers/server'

const redis = useRedis()
const dir = mkdtempSync(join(tmpdir(), 'scoped-state-shutdown-'))
let server: RunningServer | undefined
afterAll(async () => {
    server?.child.kill('SIGKILL')
    await server?.child.exited
    rmSync(dir, { recursive: true, force: true })
})

/** What the server answers once it has read a request's headers that ask for it (`expect: 100-continue`). */
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'

/**
 * Sends a POST whose body arrives in two parts, so the request is in flight until `finish()`.
 * Resolves once the server has read its headers (it answers `100 Continue`): the request is in its hands.
 */
const slowPost = async (url: string, path: string, cookie: string) => {
    const { hostname, port } = new URL(url)
    let received = ''
    const read = Promise.withResolvers<void>()
    const done = Promise.withResolvers<void>()
    const socket = await Bun.connect({
        hostname,
        port: Number(port),
        socket: {
            data: (_, chunk) => {
                received += chunk.toString()
                if (received.startsWith(CONTINUE)) read.resolve()
            },
            close: () => {
                read.resolve()
                done.resolve()
            },
            error: (_, error) => {
                read.reject(error)
                done.reject(error)
            }
        }
    })
    const body = 'x=1'
    socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncookie: ${cookie}\r\nconnection: close\r\n` +
            `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n` +
            `expect: 100-continue\r\n\r\n${body[0]}`
    )
    await read.promise
    /** What the server has answered so far, after its `100 Continue`. */
    const answer = () => (received.startsWith(CONTINUE) ? received.slice(CONTINUE.length) : received)
    return {
        received: answer,
        finish: async () => {
            socket.write(body.slice(1))
            await done.promise
            return answer()
        }
    }
}

test('SIGTERM finishes the in-flight request, closes the store and exits 0; a second signal does not cut it short', async () => {
    const path = join(dir, 'state.db')
    server = await startServer({ env: { NODE_ENV: 'test', SCOPED_STATE_STORE: `sqlite:${path}` } })
    const first = await fetch(`${server.url}/api/increment`, { method: 'POST' })
    const cookie = setCookieOf(first) ?? ''
    expect(await countOf(first)).toBe(1)
    expect(existsSync(`${path}-wal`)).toBe(true)

    const inFlight = await slowPost(server.url, '/api/increment', cookie)
    server.child.kill('SIGTERM')
    // No new connections once shutdown began: the server takes the signal when it next gets the CPU.
    const { url } = server
    const refused = () =>
        fetch(`${url}/api/count`, { headers: { cookie } }).then(
            () => false,
            () => true
        )
    for (const deadline = Date.now() + 10_000; !(await refused()) && Date.now() < deadline; ) await Bun.sleep(20)
    expect(await refused()).toBe(true)
    expect(server.child.exitCode).toBeNull()
    expect(inFlight.received()).toBe('')
    // Ctrl-C reaches `bun run start` and the app, which `bun run` sends it again.
    server.child.kill('SIGINT')
    server.child.kill('SIGTERM')
    await Bun.sleep(100)
    expect(server.child.exitCode).toBeNull()

    const answer = await inFlight.finish()
    expect(answer).toStartWith('HTTP/1.1 200')
    expect(answer).toContain('<span id="count">2</span>')
    expect(await server.child.exited).toBe(0)
    expect(server.output()).toContain('SIGTERM: stopping once requests in flight finish (at most 10 s).\nStopped.\n')

    // Closed cleanly: the write-ahead log was checkpointed into the file and removed.
    expect(existsSync(`${path}-wal`)).toBe(false)
    const db = new Database(path, { readonly: true })
    const { record } = db.query('SELECT record FROM scoped_state').get() as { record: string }
    db.close()
    expect(JSON.parse(record).p._.count).toBe(2)
}, 30_000)

test('SIGINT (Ctrl-C) stops as SIGTERM does: the in-flight request finishes, the store closes, exit 0', async () => {
    const path = join(dir, 'interrupted.db')
    server = await startServer({ env: { NODE_ENV: 'test', SCOPED_STATE_STORE: `sqlite:${path}` } })
    const first = await fetch(`${server.url}/api/increment`, { method: 'POST' })
    const inFlight = await slowPost(server.url, '/api/increment', setCookieOf(first) ?? '')
    server.child.kill('SIGINT')
    const answer = await inFlight.finish()
    expect(answer).toStartWith('HTTP/1.1 200')
    expect(answer).toContain('<span id="count">2</span>')
    expect(await server.child.exited).toBe(0)
    expect(server.output()).toContain('SIGINT: stopping once requests in flight finish (at most 10 s).\nStopped.\n')
    expect(existsSync(`${path}-wal`)).toBe(false)
}, 30_000)

test('SIGTERM with a request that never completes: its connection is closed after SHUTDOWN_GRACE_SECONDS, and the server exits 0', async () => {
    server = await startServer({ env: { NODE_ENV: 'test', SHUTDOWN_GRACE_SECONDS: '2' } })
    // Its body never arrives in full.
    const stalled = await slowPost(server.url, '/api/increment', '')
    const stopping = performance.now()
    server.child.kill('SIGTERM')
    expect(await server.child.exited).toBe(0)
    expect(server.output()).toContain('SIGTERM: stopping once requests in flight finish (at most 2 s).')
    // Waited the grace it was given, and not the default 10 s.
    const waited = performance.now() - stopping
    expect(waited).toBeGreaterThan(1_900)
    expect(waited).toBeLessThan(9_000)
    expect(await stalled.finish()).toBe('')
}, 30_000)

redisTest(
    'SIGTERM with the Redis store: the line says that closing it may wait its lease more',
    async () => {
        server = await startServer({
            env: { NODE_ENV: 'test', SCOPED_STATE_STORE: redis().url, SHUTDOWN_GRACE_SECONDS: '2' }
        })
        server.child.kill('SIGTERM')
        expect(await server.child.exited).toBe(0)
        expect(server.output()).toContain(
            'SIGTERM: stopping once requests in flight finish (at most 2 s, then up to 10 s for requests whose client went away).'
        )
    },
    30_000
)
