import { expect, test } from 'bun:test'
import { createApp } from '../../server/app'
import { SECRET } from '../helpers/plugin-app'
import { rawExchange } from '../helpers/raw-http'

const LINE = /^(GET|POST) (\S+) (\d{3}) \d+\.\dms$/

const loggedApp = () => {
    const lines: string[] = []
    const app = createApp({ state: { secret: SECRET }, accessLog: (line) => lines.push(line) })
    const request = async (path: string, init?: RequestInit) => {
        await app.handle(new Request(`http://localhost${path}`, init))
        return lines.at(-1)
    }
    return { lines, request }
}

test('logs one line per request: method, path without query, status, milliseconds', async () => {
    const { lines, request } = loggedApp()
    expect(await request('/counter?page_id=abc')).toMatch(LINE)
    expect(await request('/public/styles.css')).toStartWith('GET /public/styles.css 200 ')
    expect(await request('/api/increment', { method: 'POST' })).toStartWith('POST /api/increment 200 ')
    expect(await request('/no-such-page')).toStartWith('GET /no-such-page 404 ')
    expect(lines[0]).toStartWith('GET /counter 200 ')
    expect(lines).toHaveLength(4)
})

test('logs requests refused before routing, such as a cross-site POST', async () => {
    const { request } = loggedApp()
    const line = await request('/api/increment', { method: 'POST', headers: { origin: 'https://evil.example' } })
    expect(line).toStartWith('POST /api/increment 403 ')
})

test('a Host header that makes no URL, or one Bun leaves out of it, is logged with the path; the answer stays the app’s', async () => {
    const lines: string[] = []
    const app = createApp({ state: { secret: SECRET }, accessLog: (line) => lines.push(line) }).listen({
        port: 0,
        hostname: '127.0.0.1'
    })
    try {
        for (const host of ['[', 'exé.com']) {
            expect(
                await rawExchange(
                    Number(app.server?.port),
                    `GET /counter?page_id=x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`
                )
            ).toStartWith('HTTP/1.1 200 ')
            expect([host, lines.at(-1)]).toEqual([host, expect.stringMatching(/^GET \/counter 200 \d+\.\dms$/)])
        }
        expect(lines).toHaveLength(2)
    } finally {
        await app.stop()
    }
})
