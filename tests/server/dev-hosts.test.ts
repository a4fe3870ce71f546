/**
 * In development the app answers only a `Host` that names this machine, or one listed in
 * `ALLOWED_HOSTS` (server/dev-hosts.ts): a page on another site that points its own name at
 * 127.0.0.1 (DNS rebinding) is refused before routing.
 */
import { describe, expect, spyOn, test } from 'bun:test'
import { createApp } from '../../server/app'
import { readConfig } from '../../server/config'
import { rawExchange } from '../helpers/raw-http'
import { startServer } from '../helpers/server'

const get = (app: ReturnType<typeof createApp>, host: string) => app.handle(new Request(`http://${host}/counter`))

describe('a development app (allowedHosts given)', () => {
    const app = createApp({ allowedHosts: ['myapp.test', '.tunnel.example'] })

    test.each([
        'localhost',
        'localhost:3000',
        'shop.localhost',
        '127.0.0.1:3000',
        '192.168.1.20',
        '[::1]:3000',
        'myapp.test',
        'tunnel.example',
        'a1b2.tunnel.example',
        // Fully qualified, the same names: the 403 would ask for an ALLOWED_HOSTS entry that config refuses.
        'localhost.:3000',
        'myapp.test.',
        'a1b2.tunnel.example.'
    ])('answers %s', async (host) => {
        expect((await get(app, host)).status).toBe(200)
    })

    test.each([
        'rebind.attacker.example',
        'myapp.test.attacker.example',
        'localhost.attacker.example',
        'eviltunnel.example'
    ])('refuses %s with 403, saying how to allow it, before routing', async (host) => {
        const response = await get(app, host)
        expect(response.status).toBe(403)
        const { hostname } = new URL(`http://${host}`)
        expect(await response.text()).toBe(
            `Host '${hostname}' is not allowed in development: a page on another site could reach this server ` +
                `under that name. To use it, add it to ALLOWED_HOSTS (comma-separated; '.${hostname}' takes its subdomains too).`
        )
        // Nothing of the app's: no session cookie.
        expect(response.headers.get('set-cookie')).toBeNull()
    })
})

test('a Host that names no host (no URL, one Bun leaves out of it, an empty label): 400, not a bug answered 500 nor a 403', async () => {
    const bugs = spyOn(console, 'error').mockImplementation(() => {})
    const app = createApp({ allowedHosts: [] }).listen({ port: 0, hostname: '127.0.0.1' })
    try {
        for (const host of ['[', 'exé.com', '.', 'localhost..', 'myapp.test..:3000']) {
            const answer = await rawExchange(
                Number(app.server?.port),
                `GET /counter HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`
            )
            expect([host, answer.split('\r\n')[0]]).toEqual([host, 'HTTP/1.1 400 Bad Request'])
            // Nothing of the app's: no session cookie.
            expect(answer.toLowerCase()).not.toContain('set-cookie')
        }
        expect(bugs).not.toHaveBeenCalled()
    } finally {
        bugs.mockRestore()
        await app.stop()
    }
})

test('an app without allowedHosts (production, tests) answers any host', async () => {
    expect((await get(createApp(), 'rebind.attacker.example')).status).toBe(200)
})

describe('ALLOWED_HOSTS', () => {
    test('comma-separated names, lower case; none by default', () => {
        expect(readConfig({}).allowedHosts).toEqual([])
        expect(readConfig({ ALLOWED_HOSTS: ' MyApp.test, .ngrok-free.app ,' }).allowedHosts).toEqual([
            'myapp.test',
            '.ngrok-free.app'
        ])
    })

    test.each(['http://myapp.test', 'myapp.test:3000', '*.example.test', 'my app'])(
        'ALLOWED_HOSTS=%p stops startup with a message naming ALLOWED_HOSTS',
        (value) => {
            expect(() => readConfig({ ALLOWED_HOSTS: value })).toThrow(
                'ALLOWED_HOSTS must be host names separated by commas'
            )
        }
    )
})

test('`bun run start` in development refuses another host; in production it leaves hosts to the proxy', async () => {
    for (const [NODE_ENV, status] of [
        ['development', 403],
        ['production', 200]
    ] as const) {
        const server = await startServer({ env: { NODE_ENV, ALLOWED_HOSTS: 'myapp.test' } })
        try {
            const url = `${server.url}/healthz`
            expect((await fetch(url, { headers: { host: 'rebind.attacker.example' } })).status).toBe(status)
            expect((await fetch(url, { headers: { host: 'myapp.test' } })).status).toBe(200)
            expect((await fetch(url)).status).toBe(200)
        } finally {
            await server.stop()
        }
    }
})
