/** CSRF refusal before any handler runs, and security and caching headers on every response. */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { createApp } from '../../server/app'
import { APP_SCRIPT, STYLES } from '../../server/assets'
import { MAX_BODY_BYTES, security } from '../../server/security'
import { testApp } from '../helpers/app'
import { client, FORM_POST, FORM_TYPE, HTMX } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { startServer } from '../helpers/server'

describe('CSRF', () => {
    const crossSite: [string, Record<string, string>][] = [
        ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
        ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
        ['a foreign Origin', { origin: 'https://evil.example' }],
        ['an Origin on another port of this host', { origin: 'http://localhost:8080' }],
        ['an Origin of this host over another scheme', { origin: 'https://localhost' }],
        [
            'an Origin over http behind a proxy that says https',
            { origin: 'http://localhost', 'x-forwarded-proto': 'https' }
        ],
        [
            'an Origin of a scheme with no origin, as a proxy header says',
            { origin: 'foo://evil', 'x-forwarded-proto': 'foo' }
        ],
        ['Origin: null', { origin: 'null' }]
    ]

    test.each(crossSite)('an unsafe request with %s is refused with 403 and changes nothing', async (_, headers) => {
        const user = client(testApp())
        await user.post('/api/increment')
        for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
            const response = await testApp().handle(
                new Request('http://localhost/api/increment', { method, headers: { ...headers, cookie: user.cookie } })
            )
            expect(response.status).toBe(403)
        }
        const refused = await user.post('/api/increment', headers)
        expect(refused.status).toBe(403)
        expect(await refused.text()).toBe('Cross-site request refused.')
        expect(await user.text('/api/count')).toBe('<span id="count">1</span>')
    })

    test('an htmx request refused (behind a proxy that hides its origin) gets its message in the alert region', async () => {
        const response = await client(testApp()).post('/api/increment', { ...HTMX, origin: 'https://localhost' })
        expect(response.status).toBe(403)
        expect(response.headers.get('hx-retarget')).toBe('#alerts')
        expect(response.headers.get('hx-reswap')).toBe('innerHTML')
        expect(await response.text()).toBe(
            '<p class="notice notice-error">This request was refused as coming from another site. Nothing was changed.</p>'
        )
    })

    test('a form posted without JavaScript and refused gets a whole page saying so, as other refusals do', async () => {
        const user = client(testApp())
        await user.post('/api/increment')
        const response = await user.post('/api/increment', { ...FORM_POST, 'sec-fetch-site': 'cross-site' })
        expect(response.status).toBe(403)
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(response.headers.get('vary')).toBe('HX-Request, Accept')
        const html = await response.text()
        expect(html).toStartWith('<!doctype html>')
        expect(html).toContain(
            '<h1>Request refused</h1><p class="lead">This request was refused as coming from another site. Nothing was changed.</p>'
        )
        expect(html).toContain('<a href="/">Back to the home page</a>')
        expect(await user.text('/api/count')).toBe('<span id="count">1</span>')
    })

    test.each([
        ['same-origin htmx', { ...HTMX, 'sec-fetch-site': 'same-origin', origin: 'http://localhost' }],
        ['a typed URL or bookmark', { 'sec-fetch-site': 'none' }],
        ['a same-origin form without Fetch Metadata', { origin: 'http://localhost' }],
        ['the same behind a proxy that terminates TLS', { origin: 'https://localhost', 'x-forwarded-proto': 'https' }],
        [
            'the same, said in a Forwarded header',
            { origin: 'https://localhost', forwarded: 'for=10.0.0.1;proto=https' }
        ],
        ['the same, quoted and in capitals', { origin: 'https://localhost', forwarded: 'for=10.0.0.1;Proto="HTTPS"' }],
        ['the same, through two proxies', { origin: 'https://localhost', 'x-forwarded-proto': 'https, http' }],
        [
            'the same, its Host in capitals and with the default port',
            { origin: 'http://localhost', host: 'LOCALHOST:80' }
        ],
        ['curl (no Origin, no Fetch Metadata)', {}]
    ])('%s passes', async (_, headers) => {
        const response = await client(testApp()).post('/api/increment', headers)
        expect(response.status).toBe(200)
    })

    test('safe methods are never refused', async () => {
        const response = await client(testApp()).get('/api/count', { 'sec-fetch-site': 'cross-site' })
        expect(response.status).toBe(200)
    })
})

describe('request body limit', () => {
    /** The headers of a body of `bytes` as the browser declares it, over HTTP (`app.handle` declares none). */
    const declaring = (bytes: number) => ({ ...FORM_TYPE, 'content-length': String(bytes) })
    const over = declaring(MAX_BODY_BYTES + 1)

    test("a form posted without JavaScript over the limit gets a page saying so: Bun's own 413 is a blank page", async () => {
        const user = client(testApp())
        await user.post('/api/increment')
        const response = await user.post('/api/increment', { ...FORM_POST, ...over }, 'x=1')
        expect(response.status).toBe(413)
        expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(await response.text()).toContain(
            '<h1>Too large</h1><p class="lead">That is too large for the server to accept, so nothing was saved. Send less, then try again.</p>'
        )
        expect(await user.text('/api/count')).toBe('<span id="count">1</span>')
    })

    test('htmx gets the message in the alert region, where it keeps the form', async () => {
        const response = await client(testApp()).post('/api/increment', { ...HTMX, ...over }, 'x=1')
        expect(response.status).toBe(413)
        expect(response.headers.get('hx-retarget')).toBe('#alerts')
        expect(await response.text()).toContain('That is too large for the server to accept')
    })

    test('a script gets a short answer; a body up to the limit passes', async () => {
        const user = client(testApp())
        const refused = await user.post('/api/increment', over, 'x=1')
        expect(refused.status).toBe(413)
        expect(await refused.text()).toBe('Payload Too Large')
        expect((await user.post('/api/increment', declaring(MAX_BODY_BYTES), 'x=1')).status).toBe(200)
    })

    test('a body of undeclared length (chunked) is refused before it is read: 411', async () => {
        const response = await client(testApp()).post('/api/increment', { 'transfer-encoding': 'chunked' }, 'x=1')
        expect(response.status).toBe(411)
        expect(await response.text()).toBe('Length Required')
    })
})

/** The status `path` answers a GET with: a test of a page's headers must fail once the page is gone, not check the 404's. */
const statusOf = (path: string) => (path === '/no-such-page' ? 404 : 200)

test("a request the hook lets through stays on Elysia's synchronous path: the hook is not awaited", () => {
    // Elysia awaits a hook whose source looks asynchronous to it, and that await costs every request.
    const app = new Elysia().use(security()).get('/', () => 'ok')
    expect(app.fetch(new Request('http://localhost/'))).toBeInstanceOf(Response)
})

describe('security headers', () => {
    test.each(['/counter', '/api/count', '/public/app.js', '/no-such-page'])('are on %s', async (path) => {
        const response = await testApp().handle(new Request(`http://localhost${path}`))
        expect(response.status).toBe(statusOf(path))
        const csp = response.headers.get('content-security-policy') ?? ''
        expect(csp).toContain("script-src 'self'")
        expect(csp).toContain("frame-ancestors 'none'")
        expect(csp).not.toContain('unsafe-inline')
        expect(csp).not.toContain('unsafe-eval')
        expect(response.headers.get('x-content-type-options')).toBe('nosniff')
        expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
        // The mark of the app's answers that public/app.js swaps (a proxy's error has none).
        expect(response.headers.get('vary')).toContain('HX-Request')
    })

    test("a route's own error status carries them too: htmx swaps it as the app's, not as a proxy's", async () => {
        const app = testApp().post('/api/refusing', ({ set }) => {
            set.status = 422
            return '<p id="problem">Not that.</p>'
        })
        const response = await app.handle(
            new Request('http://localhost/api/refusing', { method: 'POST', headers: HTMX })
        )
        expect(response.status).toBe(422)
        expect(response.headers.get('vary')).toBe('HX-Request')
        expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    })

    test('the whole Content-Security-Policy, and X-Frame-Options for browsers without frame-ancestors', async () => {
        const response = await testApp().handle(new Request('http://localhost/counter'))
        expect(response.status).toBe(200)
        expect(response.headers.get('content-security-policy')).toBe(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        expect(response.headers.get('x-frame-options')).toBe('DENY')
    })

    test('Strict-Transport-Security only when asked for (production): https on localhost would pin every port', async () => {
        const request = () => new Request('http://localhost/counter')
        expect((await testApp().handle(request())).headers.get('strict-transport-security')).toBeNull()
        const production = createApp({ state: { secret: SECRET }, hsts: true })
        for (const path of ['/counter', '/api/count', '/public/app.js', '/no-such-page']) {
            const response = await production.handle(new Request(`http://localhost${path}`))
            expect(response.status).toBe(statusOf(path))
            expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000')
        }
    })

    test('in production the session cookie is __Host-session: a sibling subdomain cannot plant one', async () => {
        const cookieOf = async (production: boolean) => {
            const app = createApp({ state: { secret: SECRET, production }, warn: () => {} })
            const response = await app.handle(new Request('http://localhost/api/increment', { method: 'POST' }))
            return response.headers.get('set-cookie') ?? ''
        }
        // Browsers refuse a `__Host-` cookie with a Domain, so another host cannot set this one.
        expect(await cookieOf(true)).toMatch(
            /^__Host-session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/
        )
        // Development is plain http, where a `__Host-` cookie would be refused.
        expect(await cookieOf(false)).toStartWith('user_session_id=')
    })

    test('an app made without `production` names its cookie as the plugin takes NODE_ENV: __Host-session in production', async () => {
        const before = Bun.env.NODE_ENV
        Bun.env.NODE_ENV = 'production'
        try {
            const app = createApp({ state: { secret: SECRET }, warn: () => {} })
            const response = await app.handle(new Request('http://localhost/api/increment', { method: 'POST' }))
            expect(response.headers.get('set-cookie')).toMatch(/^__Host-session=[^;]+;.*; Secure; SameSite=Lax$/)
        } finally {
            Bun.env.NODE_ENV = before
        }
    })

    test.each(['/counter', '/cart', '/api/count', '/healthz', '/no-such-page'])(
        '%s may not be stored by any cache',
        async (path) => {
            const response = await testApp().handle(new Request(`http://localhost${path}`))
            expect(response.status).toBe(statusOf(path))
            expect(response.headers.get('cache-control')).toBe('no-store')
        }
    )

    test("pages name the stylesheet and script by their content's hash: kept a year there, only revalidated elsewhere", async () => {
        const app = testApp()
        const page = await client(app).text('/counter', { 'sec-fetch-mode': 'navigate' })
        for (const [name, type] of [
            ['styles.css', 'text/css'],
            ['app.js', 'text/javascript']
        ] as const) {
            const file = Bun.file(join(import.meta.dir, '../../public', name))
            const url = `/public/${name}?v=${Bun.hash(await file.arrayBuffer()).toString(36)}`
            expect(page).toContain(`"${url}"`)
            // Another version's address (a page of another instance, during a deploy), or none.
            for (const [address, caching] of [
                [url, 'public, max-age=31536000, immutable'],
                [`/public/${name}?v=another`, 'no-cache'],
                [`/public/${name}`, 'no-cache']
            ] as const) {
                const response = await app.handle(new Request(`http://localhost${address}`))
                expect(response.status).toBe(200)
                expect(response.headers.get('cache-control')).toBe(caching)
                expect(response.headers.get('content-type')).toStartWith(type)
                expect(await response.text()).toBe(await file.text())
            }
        }
    })

    test('a revalidation of the stylesheet or script is answered 304 when the file is the one the browser has', async () => {
        const app = testApp()
        for (const { path, url, version } of [STYLES, APP_SCRIPT]) {
            const file = await app.handle(new Request(`http://localhost${path}`))
            expect(file.headers.get('etag')).toBe(`"${version}"`)
            // The browser's copy of this content (weak when a compressing proxy passed it): no body again.
            for (const [address, tag, caching] of [
                [path, `"${version}"`, 'no-cache'],
                [path, `"other", W/"${version}"`, 'no-cache'],
                [path, '*', 'no-cache'],
                [url, `"${version}"`, 'public, max-age=31536000, immutable']
            ] as const) {
                const again = await app.handle(
                    new Request(`http://localhost${address}`, { headers: { 'if-none-match': tag } })
                )
                expect([address, tag, again.status]).toEqual([address, tag, 304])
                expect(again.headers.get('cache-control')).toBe(caching)
                expect(again.headers.get('etag')).toBe(`"${version}"`)
                expect(await again.text()).toBe('')
            }
            // A copy of another content (the file changed): the whole file.
            const changed = await app.handle(
                new Request(`http://localhost${path}`, { headers: { 'if-none-match': '"other"' } })
            )
            expect(changed.status).toBe(200)
            expect(await changed.text()).toBe(await Bun.file(join(import.meta.dir, '../..', path)).text())
        }
    })

    test('other static assets keep their own caching', async () => {
        const app = testApp()
        const asset = await app.handle(new Request('http://localhost/public/favicon.svg'))
        expect(asset.headers.get('cache-control')).toBe('public, max-age=86400')
        expect(asset.headers.get('etag')).toBeTruthy()
        const htmx = await app.handle(new Request('http://localhost/vendor/htmx-4.0.1.min.js'))
        expect(htmx.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    })

    test('pages and htmx fragments name their charset by its registered name, utf-8', async () => {
        const user = client(testApp())
        for (const response of [await user.get('/counter'), await user.post('/api/increment', HTMX)])
            expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    })

    test('HEAD answers with the headers of GET, on a listening server', async () => {
        const app = testApp().listen({ port: 0, hostname: '127.0.0.1' })
        try {
            for (const path of ['/vendor/htmx-4.0.1.min.js', STYLES.url, '/public/favicon.svg', '/counter']) {
                const url = `http://127.0.0.1:${app.server?.port}${path}`
                const [get, head] = await Promise.all(['GET', 'HEAD'].map((method) => fetch(url, { method })))
                expect([path, get?.status]).toEqual([path, 200])
                for (const name of ['content-type', 'cache-control', 'content-length'])
                    expect([path, name, head?.headers.get(name)]).toEqual([path, name, get?.headers.get(name) ?? null])
            }
        } finally {
            await app.stop()
        }
    })

    test('in production, a revalidated favicon (304) keeps its caching, not the no-store of app responses', async () => {
        const server = await startServer({ env: { NODE_ENV: 'production', SESSION_SECRET: SECRET } })
        try {
            const url = `${server.url}/public/favicon.svg`
            const first = await fetch(url)
            const etag = first.headers.get('etag') ?? ''
            expect(etag).not.toBe('')
            const again = await fetch(url, { headers: { 'if-none-match': etag } })
            expect(again.status).toBe(304)
            expect(again.headers.get('cache-control')).toBe('public, max-age=86400')
        } finally {
            await server.stop()
        }
    })

    test('pages carry no inline script', async () => {
        const page = await client(testApp()).text('/counter', { 'sec-fetch-mode': 'navigate' })
        const scripts = page.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []
        expect(scripts).toHaveLength(page.split('<script').length - 1)
        expect(scripts.length).toBeGreaterThan(0)
        for (const script of scripts) expect(script).toMatch(/^<script [^>]*src="\/[^>]*><\/script>$/)
    })

    test('no script blocks the first paint: each is deferred, so only the stylesheet holds it', async () => {
        const page = await client(testApp()).text('/counter', { 'sec-fetch-mode': 'navigate' })
        const scripts = page.match(/<script\b[^>]*>/g) ?? []
        expect(scripts.length).toBeGreaterThan(0)
        for (const script of scripts) expect(script).toMatch(/\sdefer[\s>]/)
    })
})
