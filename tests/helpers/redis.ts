/**
 * A real `redis-server` for tests: its own temp dir, a free loopback port, append-only
 * persistence (so a stop and restart keeps the data, like a production server), and
 * cleanup of both process and dir. Optionally TLS only, with a throwaway CA made by `openssl`.
 */

import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { RedisClient } from 'bun'
import { freePort } from '../../bench/ports'
import { redisServerBinary } from '../../bench/redis'
import { redisStore } from '../../plugins/scoped-state'
import { diesWithTests } from './dies-with-tests'
import { startServer } from './server'

export interface RedisServer {
    /** `redis://127.0.0.1:<port>`, or `rediss://` when started with `tls` */
    url: string
    /**
     * With `tls`: PEM files of the CA that signed the server's certificate (for 127.0.0.1 and
     * localhost), and of a client certificate it signed, with its key.
     */
    certificates?: { ca: string; clientCert: string; clientKey: string }
    port: number
    /** Stops the server gracefully (its data is flushed to disk); the port stays reserved for `start`. */
    stop: () => Promise<void>
    /** Starts the server again on the same port and dir, with the data it had. */
    start: () => Promise<void>
    /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
    freeze: () => void
    thaw: () => void
    /** Stops the server and deletes its dir; safe to call twice. */
    dispose: () => Promise<void>
}

const REDIS_SERVER = redisServerBinary()
const NOT_INSTALLED =
    'neither redis-server nor valkey-server is installed (Debian: apt-get install redis-server; macOS: brew install redis)'

/** No redis-server here, and tests may skip (`REQUIRE_SERVICES` is not 1): Redis tests are skipped. */
export const REDIS_SKIPPED = !REDIS_SERVER && process.env.REQUIRE_SERVICES !== '1'
if (REDIS_SKIPPED) console.warn(`${NOT_INSTALLED}: Redis tests skipped (REQUIRE_SERVICES=1 makes them fail).`)

/** Nor are the TLS ones run without `openssl`, which makes their certificates, unless `REQUIRE_SERVICES=1`. */
export const REDIS_TLS_SKIPPED = REDIS_SKIPPED || (!Bun.which('openssl') && process.env.REQUIRE_SERVICES !== '1')
if (REDIS_TLS_SKIPPED && !REDIS_SKIPPED)
    console.warn('openssl is not installed: Redis TLS tests skipped (REQUIRE_SERVICES=1 makes them fail).')

/**
 * `test`, skipped when no redis-server is installed, unless `REQUIRE_SERVICES=1`
 * (then the tests run and fail).
 *
 * @example
 * redisTest('two instances share state', async () => { ... })
 */
export const redisTest = test.skipIf(REDIS_SKIPPED)

/** `redisTest` for a server started with `tls`. */
export const redisTlsTest = test.skipIf(REDIS_TLS_SKIPPED)

/**
 * A real Redis store whose server is not there (a port nothing listens on): the store
 * down, for tests of what requests answer then. Needs no redis-server.
 *
 * @example
 * const down = await unreachableRedisStore()
 */
export const unreachableRedisStore = async () =>
    redisStore({ url: `redis://127.0.0.1:${await freePort()}`, commandTimeout: 300 })

const answers = async (url: string, ca?: string) => {
    const client = new RedisClient(url, { connectionTimeout: 500, autoReconnect: false, tls: ca ? { ca } : undefined })
    try {
        return (await client.send('PING', [])) === 'PONG'
    } catch {
        return false
    } finally {
        client.close()
    }
}

/** Runs `openssl` in `dir`; fails with its output. */
const openssl = (dir: string, ...args: string[]) => {
    const run = Bun.spawnSync(['openssl', ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' })
    if (run.exitCode !== 0) throw new Error(`openssl ${args[0]} failed:\n${run.stderr.toString()}`)
}

/**
 * A throwaway CA in `dir` (`ca.crt`), a server certificate it signed for 127.0.0.1 and localhost,
 * and a client certificate it signed (`client.crt`, `client.key`).
 */
const makeCertificates = (dir: string) => {
    const key = ['-newkey', 'rsa:2048', '-nodes']
    openssl(dir, 'req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test CA')
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
    for (const name of ['server', 'client']) {
        openssl(dir, 'req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
        const signed = ['-in', `${name}.csr`, '-out', `${name}.crt`, '-extfile', `${name}.ext`, '-days', '2']
        openssl(dir, 'x509', '-req', ...signed, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial')
    }
}

export interface StartRedisOptions {
    /**
     * Serve TLS only (`rediss://`), with a certificate signed by a throwaway CA (`certificates`);
     * clients need not present one of their own (`tls-auth-clients no`).
     * @default false
     */
    tls?: boolean
}

/**
 * Starts a redis-server and waits until it answers PING.
 *
 * @example
 * const redis = await startRedis()
 * afterAll(() => redis.dispose())
 */
export const startRedis = async ({ tls = false }: StartRedisOptions = {}): Promise<RedisServer> => {
    if (!REDIS_SERVER) throw new Error(NOT_INSTALLED)
    const dir = mkdtempSync(join(tmpdir(), 'scoped-state-redis-'))
    const port = await freePort()
    const url = `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`
    if (tls) makeCertificates(dir)
    const certificates = tls
        ? { ca: join(dir, 'ca.crt'), clientCert: join(dir, 'client.crt'), clientKey: join(dir, 'client.key') }
        : undefined
    const ca = certificates && readFileSync(certificates.ca, 'utf8')
    let child: Subprocess | undefined
    let output = ''

    const start = async () => {
        const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '']
        if (!tls) args.push('--port', String(port))
        else {
            const file = (name: string) => join(dir, name)
            args.push('--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no')
            args.push('--tls-ca-cert-file', file('ca.crt'), '--tls-cert-file', file('server.crt'))
            args.push('--tls-key-file', file('server.key'))
        }
        args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--protected-mode', 'no')
        // Killed with the test process: a run cut short (`--bail`) never disposes of it.
        const started = Bun.spawn(diesWithTests([REDIS_SERVER, ...args]), { stdout: 'pipe', stderr: 'pipe' })
        child = started
        void new Response(started.stdout).text().then((text) => {
            output += text
        })
        const deadline = Date.now() + 10_000
        while (!(await answers(url, ca))) {
            if (started.exitCode !== null || Date.now() > deadline) {
                started.kill('SIGKILL')
                throw new Error(`redis-server did not start on port ${port}:\n${output}`)
            }
            await Bun.sleep(20)
        }
    }

    const stop = async () => {
        const stopping = child
        child = undefined
        if (!stopping || stopping.exitCode !== null) return
        stopping.kill('SIGCONT')
        stopping.kill('SIGTERM')
        const exited = await Promise.race([stopping.exited.then(() => true), Bun.sleep(5_000).then(() => false)])
        if (!exited) {
            stopping.kill('SIGKILL')
            await stopping.exited
        }
    }

    await start()
    return {
        url,
        certificates,
        port,
        stop,
        start,
        freeze: () => child?.kill('SIGSTOP'),
        thaw: () => child?.kill('SIGCONT'),
        dispose: async () => {
            await stop()
            rmSync(dir, { recursive: true, force: true })
        }
    }
}

/**
 * One redis-server for the test file: started before its tests (unless Redis tests
 * are skipped), disposed after them, even when they fail.
 *
 * @example
 * const redis = useRedis()
 * redisTest('…', () => { const store = redisStore({ url: redis().url }) })
 */
export const useRedis = (options?: StartRedisOptions) => {
    let server: RedisServer | undefined
    beforeAll(async () => {
        if (!(options?.tls ? REDIS_TLS_SKIPPED : REDIS_SKIPPED)) server = await startRedis(options)
    })
    afterAll(() => server?.dispose())
    return () => {
        if (!server) throw new Error('redis-server is not running')
        return server
    }
}

/** One client connection through `relay`, and what it still passes. */
interface RelayLink {
    upstream?: Bun.Socket<undefined>
    /** What the client sent before the connection to Redis was open. */
    held: Uint8Array[]
    /**
     * `open`: everything; `cut`: the commands, but the client's connection is closed at the next
     * reply; `silent`: nothing either way, and no close told (a load balancer that forgot it).
     */
    state: 'open' | 'cut' | 'silent'
}

/**
 * A TCP proxy to the Redis server on `port` that passes what each link's `state` lets through.
 * `inspect` sees each chunk a client sends before it goes on, and may change the link's state;
 * answering false keeps that chunk from Redis.
 */
const relay = (port: number, inspect: (client: Bun.Socket<RelayLink>, chunk: Uint8Array) => boolean = () => true) => {
    const links = new Set<RelayLink>()
    const server = Bun.listen<RelayLink>({
        hostname: '127.0.0.1',
        port: 0,
        socket: {
            async open(client) {
                client.data = { held: [], state: 'open' }
                links.add(client.data)
                const upstream = await Bun.connect({
                    hostname: '127.0.0.1',
                    port,
                    socket: {
                        data(_, reply) {
                            if (client.data.state === 'cut') client.end()
                            else if (client.data.state === 'open') client.write(reply)
                        },
                        close() {
                            if (client.data.state !== 'silent') client.end()
                        }
                    }
                })
                for (const chunk of client.data.held) upstream.write(chunk)
                client.data.upstream = upstream
            },
            data(client, chunk) {
                if (client.data.state === 'silent' || !inspect(client, chunk)) return
                if (client.data.upstream) client.data.upstream.write(chunk)
                else client.data.held.push(Buffer.from(chunk))
            },
            close(client) {
                links.delete(client.data)
                client.data.upstream?.end()
            }
        }
    })
    return { server, links }
}

/**
 * A TCP proxy to the Redis server on `port` that passes everything on, except that it
 * closes the client's connection instead of passing back the reply to the first command
 * containing `cutOn`: the command ran, its answer never came. With `drop`, it closes the
 * connection instead of passing that command on: it never ran.
 *
 * @example
 * const cut = cuttingProxy(redis().port, 'MARKER')
 * const store = redisStore({ url: `redis://127.0.0.1:${cut.port}` })
 */
export const cuttingProxy = (port: number, cutOn: string, { drop = false } = {}) => {
    let armed = true
    return relay(port, (client, chunk) => {
        if (!armed || !Buffer.from(chunk).includes(cutOn)) return true
        armed = false
        if (drop) {
            client.end()
            return false
        }
        client.data.state = 'cut'
        return true
    }).server
}

/**
 * A TCP proxy to the Redis server on `port` whose `dropAll` forgets the connections open at that
 * moment without telling either end, as a load balancer or NAT does with an idle one: what is sent
 * on them afterwards goes nowhere. New connections are passed on.
 *
 * @example
 * const proxy = silentlyDroppingProxy(redis().port)
 * proxy.dropAll()
 */
export const silentlyDroppingProxy = (port: number) => {
    const { server, links } = relay(port)
    return {
        port: server.port,
        dropAll: () => {
            for (const link of links) link.state = 'silent'
        },
        stop: (closeActive: boolean) => server.stop(closeActive)
    }
}

/**
 * Starts the app with `env`, whose Redis refuses it, and checks its answers: 503 to a change
 * and from `/healthz`, the log line `says` once it tried to connect, and nothing of `secret`.
 *
 * @example
 * await expectAppRefusedByRedis(env, 'Session store unavailable: Redis: cannot connect …', PASSWORD)
 */
export const expectAppRefusedByRedis = async (env: Record<string, string>, says: string, secret: string) => {
    const server = await startServer({ env })
    try {
        expect((await fetch(`${server.url}/api/increment`, { method: 'POST' })).status).toBe(503)
        expect((await fetch(`${server.url}/healthz`)).status).toBe(503)
        while (!server.output().includes('cannot connect')) await Bun.sleep(20)
        expect(server.output()).toContain(says)
        expect(server.output()).not.toContain(secret)
    } finally {
        await server.stop()
    }
}
