import { describe, expect, test } from 'bun:test'
import { readConfig } from '../../server/config'

describe('readConfig', () => {
    test('defaults: port 3000 on all interfaces, development, no secret', () => {
        expect(readConfig({})).toMatchObject({ port: 3000, hostname: '0.0.0.0', production: false, secrets: undefined })
    })

    test('reads PORT, HOST, NODE_ENV and a comma-separated SESSION_SECRET list', () => {
        const config = readConfig({
            PORT: '8080',
            HOST: '127.0.0.1',
            NODE_ENV: 'production',
            SESSION_SECRET: 'new,old'
        })
        expect(config).toMatchObject({ port: 8080, hostname: '127.0.0.1', production: true, secrets: ['new', 'old'] })
    })

    test.each(['abc', '-1', '70000', '3.5'])('PORT=%s stops startup with a message naming PORT', (port) => {
        expect(() => readConfig({ PORT: port })).toThrow(`PORT must be an integer from 0 to 65535, got '${port}'`)
    })

    test('an unknown NODE_ENV stops startup', () => {
        expect(() => readConfig({ NODE_ENV: 'prod' })).toThrow(
            "NODE_ENV must be development, production or test, got 'prod'"
        )
    })
})
