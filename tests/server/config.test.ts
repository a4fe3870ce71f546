import { describe, expect, test } from 'bun:test'
import { readConfig } from '../../server/config'

describe('readConfig', () => {
    test('defaults: port 3000 on all interfaces, development, no secret', () => {
        expect(readConfig({})).toMatchObject({ port: 3000, hostname: '0.0.0.0', production: false, secrets: undefined })
    })

    test('reads PORT, HOST, NODE_ENV and a comma-separated SESSION_SECRET list', () => {
        const [newSecret, oldSecret] = ['new'.repeat(11), 'old'.repeat(11)]
        const config = readConfig({
            PORT: '8080',
            HOST: '127.0.0.1',
            NODE_ENV: 'production',
            SESSION_SECRET: `${newSecret},${oldSecret}`
        })
        expect(config).toMatchObject({
            port: 8080,
            hostname: '127.0.0.1',
            production: true,
            secrets: [newSecret, oldSecret]
        })
    })

    test('PORT may be 0 (any free port) to 65535', () => {
        expect(readConfig({ PORT: '0' }).port).toBe(0)
        expect(readConfig({ PORT: '65535' }).port).toBe(65_535)
    })

    test.each(['abc', '-1', '65536', '70000', '3.5'])('PORT=%s stops startup with a message naming PORT', (port) => {
        expect(() => readConfig({ PORT: port })).toThrow(`PORT must be an integer from 0 to 65535, got '${port}'`)
    })

    test('SHUTDOWN_GRACE_SECONDS: 10 s by default, else a whole number of seconds up to an hour', () => {
        expect(readConfig({}).shutdownGrace).toBe(10_000)
        expect(readConfig({ SHUTDOWN_GRACE_SECONDS: '' }).shutdownGrace).toBe(10_000)
        expect(readConfig({ SHUTDOWN_GRACE_SECONDS: '0' }).shutdownGrace).toBe(0)
        expect(readConfig({ SHUTDOWN_GRACE_SECONDS: '25' }).shutdownGrace).toBe(25_000)
        for (const value of ['-1', '2.5', '10s', '3601'])
            expect(() => readConfig({ SHUTDOWN_GRACE_SECONDS: value })).toThrow(
                `SHUTDOWN_GRACE_SECONDS must be a whole number of seconds from 0 to 3600, got '${value}'.`
            )
    })

    test('LIVE_RELOAD: off unless 1, and refused in production', () => {
        expect(readConfig({}).liveReload).toBe(false)
        for (const LIVE_RELOAD of ['', '0']) expect(readConfig({ LIVE_RELOAD }).liveReload).toBe(false)
        expect(readConfig({ LIVE_RELOAD: '1' }).liveReload).toBe(true)
        expect(readConfig({ LIVE_RELOAD: '1', NODE_ENV: 'test' }).liveReload).toBe(true)
        for (const LIVE_RELOAD of ['true', 'yes', '2'])
            expect(() => readConfig({ LIVE_RELOAD })).toThrow(`LIVE_RELOAD must be 1 or 0, got '${LIVE_RELOAD}'.`)
        expect(() => readConfig({ LIVE_RELOAD: '1', NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) })).toThrow(
            'LIVE_RELOAD=1 is for development: unset it when NODE_ENV is production.'
        )
    })

    test('BASE_PATH: the root by default, else a path the proxy passes on as it is', () => {
        expect(readConfig({}).basePath).toBe('')
        expect(readConfig({ BASE_PATH: '' }).basePath).toBe('')
        for (const BASE_PATH of ['/shop', '/apps/shop', '/v1.2', '/a_b~c-d'])
            expect(readConfig({ BASE_PATH }).basePath).toBe(BASE_PATH)
        // A trailing slash would make every address `//counter`; the rest would need encoding or escape the path.
        for (const BASE_PATH of ['/', '/shop/', 'shop', '//shop', '/sh op', '/shop?x', '/..', '/shop/.', '/é'])
            expect(() => readConfig({ BASE_PATH })).toThrow(
                `BASE_PATH must be a path such as /shop, without a trailing slash or characters to percent-encode, got '${BASE_PATH}'.`
            )
    })

    test('NODE_ENV=test is neither production nor development', () => {
        expect(readConfig({ NODE_ENV: 'test' })).toMatchObject({ production: false, development: false })
    })

    test('production without SESSION_SECRET stops startup, naming the variable', () => {
        for (const SESSION_SECRET of [undefined, ''])
            expect(() => readConfig({ NODE_ENV: 'production', SESSION_SECRET })).toThrow(
                'NODE_ENV=production requires SESSION_SECRET'
            )
    })

    test('production with a SESSION_SECRET under 32 bytes stops startup, naming the variable and which secret', () => {
        expect(() => readConfig({ NODE_ENV: 'production', SESSION_SECRET: `${'n'.repeat(32)},old` })).toThrow(
            'SESSION_SECRET: secret #2 is shorter than 32 bytes; production needs at least 32 random bytes each.'
        )
        // Bytes, as the plugin counts them: 11 three-byte characters are 33.
        expect(readConfig({ NODE_ENV: 'production', SESSION_SECRET: '€'.repeat(11) }).secrets).toEqual(['€'.repeat(11)])
        // Development takes it, and the plugin warns that production will not.
        expect(readConfig({ SESSION_SECRET: 'short' }).secrets).toEqual(['short'])
    })

    test('an unknown NODE_ENV stops startup', () => {
        expect(() => readConfig({ NODE_ENV: 'prod' })).toThrow(
            "NODE_ENV must be development, production or test, got 'prod'"
        )
    })
})

describe('HOST', () => {
    test.each(['localhost', '127.0.0.1', '0.0.0.0', '::1', '::', 'app.internal', 'my-host'])('accepts %s', (host) => {
        expect(readConfig({ HOST: host }).hostname).toBe(host)
    })

    test.each(['http://localhost', 'localhost:3000', 'local host', ' 127.0.0.1', 'example.com/app', '[::1]'])(
        'HOST=%p stops startup with a message naming HOST',
        (host) => {
            expect(() => readConfig({ HOST: host })).toThrow(
                `HOST must be a host name or an IP address such as 127.0.0.1 or ::1, without scheme or port, got '${host}'`
            )
        }
    )

    test('an empty HOST means the default, all interfaces', () => {
        expect(readConfig({ HOST: '' }).hostname).toBe('0.0.0.0')
    })
})

describe('SESSION_SECRET and NODE_ENV', () => {
    test.each(['new,', ',old', 'new,,old'])('SESSION_SECRET=%p with an empty entry stops startup', (secret) => {
        expect(() => readConfig({ SESSION_SECRET: secret })).toThrow(
            'SESSION_SECRET must be a secret or a comma-separated list of secrets, with no empty entry.'
        )
    })

    test('development, the default, is the only mode with the access log', () => {
        expect(readConfig({}).development).toBe(true)
        expect(readConfig({ NODE_ENV: '' }).development).toBe(true)
        expect(readConfig({ NODE_ENV: 'test' }).development).toBe(false)
        expect(readConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) }).development).toBe(false)
    })
})
