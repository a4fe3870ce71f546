/**
 * The nginx configuration of docs/deployment.md, in front of two instances: a body over the app's
 * limit is refused by nginx. Let through (nginx's default limit, 1 MB), the app reads it before
 * refusing it: answered while nginx was still sending the body, nginx answered 502 and took the
 * instance for a failed one, sending it nothing for `fail_timeout` (10 s), and a few such bodies
 * emptied its pool.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { MAX_BODY_BYTES } from '../../server/security'
import { diesWithTests } from '../helpers/dies-with-tests'
import { type RunningServer, startServer, waitUntilAnswering } from '../helpers/server'

const NGINX = Bun.which('nginx') ?? Bun.which('nginx', { PATH: '/usr/sbin:/usr/local/sbin' })
const DOCS = join(import.meta.dir, '../../docs/deployment.md')

/** No nginx here, and tests may skip (`REQUIRE_SERVICES` is not 1, as it is in CI, which installs it). */
const SKIPPED = !NGINX && process.env.REQUIRE_SERVICES !== '1'
if (SKIPPED)
    console.warn(
        'nginx is not installed: the test of the documented proxy configuration is skipped (REQUIRE_SERVICES=1 makes it fail).'
    )

/**
 * The first nginx block of the docs, which goes in `http {}`, listening on `port` over plain http:
 * without its certificate's files, which nginx reads at startup.
 */
const documentedConfig = (port: number) => {
    const block = /```nginx\n([\s\S]*?)```/.exec(readFileSync(DOCS, 'utf8'))?.[1]
    if (!block) throw new Error('docs/deployment.md has no nginx block')
    return block
        .replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`)
        .replace(/^\s*ssl_certificate(_key)? .*\n/gm, '')
}

/** The documented `server` block alone, on `port`, without its body limit: nginx's default, 1 MB. */
const defaultLimitConfig = (port: number) =>
    documentedConfig(port)
        .replace(/^[\s\S]*?(?=^server \{)/m, '')
        .replace(/\n\s*client_max_body_size [^\n]*/, '')

/** A loopback port nothing listens on. */
const freePort = () => {
    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const { port } = probe
    probe.stop(true)
    return port
}

describe.skipIf(SKIPPED)('behind the documented nginx', () => {
    const instances: RunningServer[] = []
    const prefix = mkdtempSync(join(tmpdir(), 'nginx-'))
    let nginx: Subprocess<'ignore', 'ignore', 'pipe'> | undefined
    let base = ''
    let defaultLimit = ''

    beforeAll(async () => {
        if (!NGINX) throw new Error('nginx is not installed, and REQUIRE_SERVICES=1 asks for every test to run')
        instances.push(await startServer(), await startServer())
        const port = freePort()
        const unlimitedPort = freePort()
        const upstream = instances.map(({ url }) => `server ${new URL(url).host};`).join(' ')
        writeFileSync(
            join(prefix, 'nginx.conf'),
            // One process in the foreground, which dies with the tests (a master killed leaves its workers serving).
            `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events {}
http {
    access_log off;
    client_body_temp_path ${prefix}/body;
    proxy_temp_path ${prefix}/proxy;
    upstream instances { ${upstream} }
    ${documentedConfig(port)}
    ${defaultLimitConfig(unlimitedPort)}
}`
        )
        nginx = Bun.spawn(diesWithTests([NGINX as string, '-p', prefix, '-c', join(prefix, 'nginx.conf')]), {
            stdout: 'ignore',
            stderr: 'pipe'
        })
        if (!(await waitUntilAnswering(`http://127.0.0.1:${port}`, nginx, Date.now() + 10_000)))
            throw new Error(`nginx did not start: ${await new Response(nginx.stderr).text()}`)
        base = `http://127.0.0.1:${port}`
        defaultLimit = `http://127.0.0.1:${unlimitedPort}`
    })

    afterAll(async () => {
        nginx?.kill()
        await nginx?.exited
        await Promise.all(instances.map((instance) => instance.stop()))
        rmSync(prefix, { recursive: true, force: true })
    })

    test('a body over the limit is refused with 413, and both instances stay in the pool', async () => {
        // Under nginx's default limit (1 MB), and more than a socket takes at once: nginx is still sending it.
        const body = `productId=mug&quantity=1&pad=${'x'.repeat(MAX_BODY_BYTES * 14)}`
        const headers = { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }
        const refusals: number[] = []
        for (let i = 0; i < 10; i++)
            refusals.push((await fetch(`${base}/cart/items`, { method: 'POST', headers, body })).status)
        expect(refusals).toEqual(Array(10).fill(413))
        const pages: number[] = []
        for (let i = 0; i < 4; i++) pages.push((await fetch(`${base}/public/favicon.svg`)).status)
        expect(pages).toEqual([200, 200, 200, 200])
    })

    test("nginx's answers do not tell its version", async () => {
        const answer = await fetch(`${base}/healthz`)
        expect(answer.status).toBe(404)
        expect(answer.headers.get('server')).toBe('nginx')
        expect(await answer.text()).not.toMatch(/nginx\/\d/)
    })

    test("at nginx's default limit, the app's own 413 comes through, and both instances stay in the pool", async () => {
        const headers = { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }
        const refusals: string[] = []
        for (const size of [MAX_BODY_BYTES + 1, 900_000]) {
            const body = `productId=mug&quantity=1&pad=${'x'.repeat(size)}`
            for (let i = 0; i < 5; i++) {
                const response = await fetch(`${defaultLimit}/cart/items`, { method: 'POST', headers, body })
                refusals.push(`${response.status} ${response.headers.get('hx-retarget')}`)
            }
        }
        expect(refusals).toEqual(Array(10).fill('413 #alerts'))
        const pages: number[] = []
        for (let i = 0; i < 4; i++) pages.push((await fetch(`${defaultLimit}/public/favicon.svg`)).status)
        expect(pages).toEqual([200, 200, 200, 200])
    })
})
