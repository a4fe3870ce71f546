/**
 * `bun run dev`'s live reload as the app serves it: the script on whole pages only, and a
 * WebSocket that names the process. The browser's side (a restart under `bun --watch`
 * reloads the open page) is in tests/e2e/live-reload.test.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { createApp } from '../../server/app'
import { LIVE_RELOAD_PATH, LIVE_RELOAD_SCRIPT_PATH, liveReload } from '../../server/live-reload'
import { testApp } from '../helpers/app'
import { SECRET } from '../helpers/plugin-app'

/** The script, at the end of the head, with the id of the process that rendered the page. */
const SCRIPT =
    /<script src="\/_dev\/live-reload\.js" data-server="([\da-f-]{36})" data-socket="\/_dev\/live-reload" defer><\/script><\/head>/

const withLiveReload = (reload = liveReload()) =>
    createApp({ state: { secret: SECRET }, warn: () => {}, liveReload: reload })

const page = (app: { handle: (request: Request) => Promise<Response> }, path: string, init: RequestInit = {}) =>
    app.handle(new Request(`http://localhost${path}`, { ...init, headers: { accept: 'text/html', ...init.headers } }))

describe('live reload in the app', () => {
    test('every whole page loads the script, error pages too; fragments, answers to a form and other answers do not', async () => {
        const app = withLiveReload()
        for (const [path, status] of [
            ['/', 200],
            ['/counter', 200],
            ['/cart', 200],
            ['/no-such-page', 404]
        ] as const) {
            const response = await page(app, path)
            expect([path, response.status]).toEqual([path, status])
            expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
            const body = await response.text()
            expect(body).toStartWith('<!doctype html>')
            expect(body).toMatch(SCRIPT)
        }
        // A refused form without JavaScript: its page, status and session cookie as without live
        // reload, and no script, since reloading the answer to a POST sends the form again.
        const refused = await page(app, '/cart/items', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
            body: 'productId=no-such-product&quantity=1'
        })
        expect(refused.status).toBe(404)
        expect(refused.headers.get('set-cookie')).toContain('HttpOnly')
        const answer = await refused.text()
        expect(answer).toStartWith('<!doctype html>')
        expect(answer).not.toContain('live-reload')
        const fragment = await app.handle(new Request('http://localhost/api/count'))
        expect(await fragment.text()).toBe('<span id="count">0</span>')
        const script = await app.handle(new Request(`http://localhost${LIVE_RELOAD_SCRIPT_PATH}`))
        expect(script.status).toBe(200)
        expect(script.headers.get('content-type')).toStartWith('text/javascript')
        expect(await script.text()).toContain(LIVE_RELOAD_PATH)
    })

    test("a page of a route that reads no state keeps the html plugin's content type and doctype", async () => {
        // Elysia runs only the first mapResponse hook that answers on a route with no onAfterHandle
        // hook: the html plugin's, after live reload's, would not run there.
        const app = withLiveReload().get(
            '/static',
            () => '<html><head><title>Static</title></head><body></body></html>'
        )
        const response = await page(app, '/static')
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
        const body = await response.text()
        expect(body).toStartWith('<!doctype html><html>')
        expect(body).toMatch(SCRIPT)
        // Nor does a string that is no page become one.
        const text = await withLiveReload()
            .get('/text', ({ set }) => {
                set.headers['content-type'] = 'text/plain; charset=utf-8'
                return 'a note on </head>'
            })
            .handle(new Request('http://localhost/text'))
        expect([text.headers.get('content-type'), await text.text()]).toEqual([
            'text/plain; charset=utf-8',
            'a note on </head>'
        ])
    })

    test('without it (production, tests, `bun run start`) no page names the script, and neither it nor the socket is served', async () => {
        const app = testApp()
        expect(await (await page(app, '/counter')).text()).not.toContain('live-reload')
        // `/public/`, where it used to be, served it to every visitor (tests/build.test.ts: in production too).
        for (const path of [LIVE_RELOAD_PATH, LIVE_RELOAD_SCRIPT_PATH, '/public/live-reload.js'])
            expect([path, (await app.handle(new Request(`http://localhost${path}`))).status]).toEqual([path, 404])
    })
})

describe('live reload socket', () => {
    const stops: (() => Promise<unknown>)[] = []
    afterEach(async () => {
        await Promise.all(stops.splice(0).map((stop) => stop()))
    })

    /** A listening app, as a process of its own would be, and a page's socket to it. */
    const started = (reload: ReturnType<typeof liveReload>) => {
        const app = withLiveReload(reload).listen({ port: 0, hostname: '127.0.0.1' })
        stops.push(() => app.stop(true))
        return app
    }
    const firstMessage = async (port: number | undefined, headers: Record<string, string> = {}) => {
        // Bun's WebSocket takes headers, as a browser's does not: the browser sends its page's Origin.
        const socket = new WebSocket(`ws://127.0.0.1:${port}${LIVE_RELOAD_PATH}`, { headers } as never)
        const { data } = await new Promise<MessageEvent>((resolve, reject) => {
            socket.addEventListener('message', resolve, { once: true })
            socket.addEventListener('error', reject, { once: true })
        })
        return { socket, id: data as string }
    }

    test('names its process: the same id on every connection, another process another', async () => {
        const one = started(liveReload())
        const other = started(liveReload())
        const [first, again, second] = await Promise.all([
            firstMessage(one.server?.port),
            firstMessage(one.server?.port),
            firstMessage(other.server?.port)
        ])
        expect(first.id).toMatch(/^[\da-f-]{36}$/)
        expect(again.id).toBe(first.id)
        expect(second.id).not.toBe(first.id)
        for (const { socket } of [first, again, second]) socket.close()
    })

    test('a page names the process that rendered it, so that a restart before its socket connects still reloads it', async () => {
        const app = started(liveReload())
        const body = await (await fetch(`http://127.0.0.1:${app.server?.port}/counter`)).text()
        const { socket, id } = await firstMessage(app.server?.port)
        expect(SCRIPT.exec(body)?.[1]).toBe(id)
        socket.close()
    })

    test("only this server's pages may connect: another site's would learn when the developer saves a file", async () => {
        const app = started(liveReload())
        const own = `http://127.0.0.1:${app.server?.port}`
        const opened = await firstMessage(app.server?.port, { origin: own, 'sec-fetch-site': 'same-origin' })
        opened.socket.close()
        // Any site the developer visits may open a WebSocket to localhost, or to a LAN address under HOST=0.0.0.0.
        const otherSites: Record<string, string>[] = [
            { origin: 'https://attacker.example' },
            { origin: own, 'sec-fetch-site': 'cross-site' }
        ]
        for (const headers of otherSites) await expect(firstMessage(app.server?.port, headers)).rejects.toBeDefined()
        const refused = await fetch(`${own}${LIVE_RELOAD_PATH}`, {
            headers: { origin: 'https://attacker.example', upgrade: 'websocket', connection: 'Upgrade' }
        })
        expect(refused.status).toBe(403)
    })

    test('close() ends the open connections, so that stopping the server does not wait for them', async () => {
        const reload = liveReload()
        const app = withLiveReload(reload).listen({ port: 0, hostname: '127.0.0.1' })
        const { socket } = await firstMessage(app.server?.port)
        const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener('close', resolve, { once: true }))
        reload.close()
        // Without close() this waits for the page to go away: the test times out.
        await app.stop()
        expect((await closed).code).toBe(1001)
    })
})
