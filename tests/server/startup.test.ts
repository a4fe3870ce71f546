/** `bun run start` refuses a bad configuration with one clear line and exit code 1. */
import { expect, test } from 'bun:test'
import { sysctl } from '../helpers/ordinary-user'
import { rawExchange } from '../helpers/raw-http'
import { startServer } from '../helpers/server'
import { startApp } from '../helpers/start-app'

test('production without SESSION_SECRET does not start', async () => {
    const { code, stderr } = await startApp({ NODE_ENV: 'production', SESSION_SECRET: '' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe('NODE_ENV=production requires SESSION_SECRET: at least 32 random bytes.')
})

test('production with a short SESSION_SECRET does not start, and the message names the variable', async () => {
    const { code, stderr } = await startApp({ NODE_ENV: 'production', SESSION_SECRET: 'too-short' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
        'SESSION_SECRET: secret #1 is shorter than 32 bytes; production needs at least 32 random bytes each.'
    )
})

test('a second copy on the same port does not start; the first serves on', async () => {
    const first = await startServer()
    try {
        const { port } = new URL(first.url)
        // A secret of its own: in development it would make one in this checkout's data/.
        const { code, stderr } = await startApp({ PORT: port })
        expect(code).toBe(1)
        expect(stderr.trim()).toBe(
            `Port ${port} on 127.0.0.1 is in use: is the app already running? Set PORT to another port.`
        )
        expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
    } finally {
        await first.stop()
    }
})

test('a HOST that is not an address of this machine does not start, and says so', async () => {
    // TEST-NET-3 (RFC 5737) is no machine's address, unless the kernel lets any address be bound;
    // a name under .invalid (RFC 6761) never resolves.
    const hosts = sysctl('net/ipv4/ip_nonlocal_bind') === '1' ? [] : ['203.0.113.7']
    for (const host of [...hosts, 'nowhere.invalid']) {
        const { code, stderr } = await startApp({ HOST: host })
        expect(code).toBe(1)
        expect(stderr.trim()).toBe(
            `HOST=${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all of them.`
        )
    }
})

test('a request body over 64 KiB is refused with 413 by the app, before it reads it, in a page for a browser', async () => {
    // A grace period longer than the 5 s after which `stop()` kills the server: only a shutdown
    // that no refused body holds up ends by itself, and says so.
    const server = await startServer({ env: { SHUTDOWN_GRACE_SECONDS: '60' } })
    try {
        const post = (bytes: number, accept = '*/*') =>
            fetch(`${server.url}/api/increment`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
                body: `x=${'a'.repeat(bytes - 2)}`
            })
        expect((await post(65_536)).status).toBe(200)
        expect((await post(65_537)).status).toBe(413)
        // Far over it too: Bun's own refusal, which has no body, never comes first.
        const refused = await post(3_000_000, 'text/html')
        expect(refused.status).toBe(413)
        expect(await refused.text()).toContain('<h1>Too large</h1>')
    } finally {
        await server.stop()
    }
    expect(server.output()).toContain('Stopped.')
}, 15_000)

test('a body over 64 KiB declared by Content-Length sent twice is refused too, not read whole', async () => {
    const server = await startServer()
    try {
        const body = 'x'.repeat(70_000)
        // Bun takes the same length sent twice, and reads the body by it: so must the app's check.
        const head =
            'POST /api/increment HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' +
            'Content-Type: application/x-www-form-urlencoded\r\n' +
            `Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n`
        expect(await rawExchange(Number(new URL(server.url).port), head + body)).toStartWith('HTTP/1.1 413 ')
    } finally {
        await server.stop()
    }
})

test('started in production, every answer tells browsers to keep to https; otherwise none does', async () => {
    for (const [NODE_ENV, hsts] of [
        ['production', 'max-age=31536000'],
        ['development', null]
    ] as const) {
        const server = await startServer({ env: { NODE_ENV } })
        try {
            const response = await fetch(`${server.url}/healthz`)
            expect(response.headers.get('strict-transport-security')).toBe(hsts)
        } finally {
            await server.stop()
        }
    }
})

test('an invalid PORT does not start', async () => {
    const { code, stderr } = await startApp({ PORT: 'eighty' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe("PORT must be an integer from 0 to 65535, got 'eighty'.")
})

test('a Redis URL that Bun’s client refuses does not start, and says why in one line without its password', async () => {
    const { code, stderr } = await startApp({ SCOPED_STATE_STORE: 'redis://:hunter2@127.0.0.1:6379/abc' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
        'SCOPED_STATE_STORE: redisStore: the url is refused: Invalid database number in Redis URL: "abc"'
    )
})
