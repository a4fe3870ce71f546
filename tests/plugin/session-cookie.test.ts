import { describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client, sessionIdOf, setCookieOf } from '../helpers/client'
import { manualClock, SECRET, stateApp } from '../helpers/plugin-app'

const attributes = (response: Response) =>
    (response.headers.get('set-cookie') ?? '')
        .split(';')
        .slice(1)
        .map((part) => part.trim())

describe('the session cookie', () => {
    const app = stateApp()

    test('is created on the first request with safe attributes', async () => {
        const response = await app.handle(new Request('http://localhost/count'))
        expect(setCookieOf(response)).toMatch(/^user_session_id=[\w.-]+$/)
        expect(attributes(response)).toEqual(['Max-Age=604800', 'Path=/', 'HttpOnly', 'SameSite=Lax'])
    })

    test('is Secure over https, directly or behind a proxy', async () => {
        const direct = await app.handle(new Request('https://example.com/count'))
        const proxied = await app.handle(
            new Request('http://localhost/count', { headers: { 'x-forwarded-proto': 'https' } })
        )
        expect(attributes(direct)).toContain('Secure')
        expect(attributes(proxied)).toContain('Secure')
    })

    test("behind proxies, Secure follows the browser-facing proxy's word, in either header", async () => {
        const secure = async (headers: Record<string, string>) =>
            attributes(await app.handle(new Request('http://localhost/count', { headers }))).includes('Secure')
        expect(await secure({ 'x-forwarded-proto': 'https, http' })).toBe(true)
        expect(await secure({ 'x-forwarded-proto': 'HTTPS' })).toBe(true)
        expect(await secure({ forwarded: 'for=192.0.2.60;proto=https;by=203.0.113.43' })).toBe(true)
        expect(await secure({ forwarded: 'proto="https", for=10.0.0.1;proto=http' })).toBe(true)
        expect(await secure({ 'x-forwarded-proto': 'http, https' })).toBe(false)
        expect(await secure({ forwarded: 'for=192.0.2.60;proto=http, for=10.0.0.1;proto=https' })).toBe(false)
        expect(await secure({ forwarded: 'for=192.0.2.60;proto=httpsx' })).toBe(false)
    })

    test('on a listening http server: Secure only behind an https proxy', async () => {
        const server = stateApp().listen({ port: 0, hostname: '127.0.0.1' })
        try {
            const url = `http://127.0.0.1:${server.server?.port}/count`
            expect(attributes(await fetch(url))).not.toContain('Secure')
            expect(attributes(await fetch(url, { headers: { 'x-forwarded-proto': 'https' } }))).toContain('Secure')
        } finally {
            await server.stop()
        }
    })

    test('name and attributes are configurable; __Host- forces Secure, in any case', async () => {
        for (const [cookieName, path] of [
            ['__Host-sid', '/'],
            ['__host-sid', undefined]
        ] as const) {
            const custom = new Elysia()
                .use(
                    scopedState(
                        { count: { value: 0 } },
                        { secret: SECRET, cookieName, cookie: { path, sameSite: 'strict' } }
                    )
                )
                .get('/count', ({ scopedStore }) => scopedStore.count)
            const response = await custom.handle(new Request('http://localhost/count'))
            expect(setCookieOf(response)).toStartWith(`${cookieName}=`)
            expect(attributes(response)).toEqual(['Max-Age=604800', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict'])
        }
    })

    test('a __Host- name with a domain is refused at setup, in any case: dropping the domain would keep a shared sign-in on one host', () => {
        const setup = { count: { value: 0 } }
        for (const cookieName of ['__Host-session', '__host-session'])
            expect(() =>
                scopedState(setup, { secret: SECRET, cookieName, cookie: { domain: 'example.test' } })
            ).toThrow(
                `a __Host- cookie ('${cookieName}') stays on its host, so it cannot have a domain ('example.test'). ` +
                    'To share the session with subdomains, give it a __Secure- name (__Secure-session)'
            )
    })

    test('a __Host- name with a path other than / is refused at setup, in any case: two apps under paths of one host would share it', () => {
        const setup = { count: { value: 0 } }
        for (const cookieName of ['__Host-session', '__host-session'])
            expect(() => scopedState(setup, { secret: SECRET, cookieName, cookie: { path: '/shop' } })).toThrow(
                `a __Host- cookie ('${cookieName}') is sent to every path of its host, so it cannot have the path '/shop'. ` +
                    'Give each app under a path of this host a cookie name of its own (__Host-session-shop)'
            )
    })

    test('__Secure- forces Secure, even over http, and keeps Path and Domain, in any case', async () => {
        // Browsers refuse such a cookie without Secure: the user would start over on every request.
        const set = async (cookieName: string) => {
            const app = new Elysia()
                .use(
                    scopedState(
                        { count: { value: 0 } },
                        { secret: SECRET, cookieName, cookie: { path: '/app', domain: 'example.com', secure: false } }
                    )
                )
                .get('/app/count', ({ scopedStore }) => scopedStore.count)
            return attributes(await app.handle(new Request('http://localhost/app/count')))
        }
        const secure = ['Max-Age=604800', 'Domain=example.com', 'Path=/app', 'HttpOnly', 'Secure', 'SameSite=Lax']
        expect(await set('__Secure-sid')).toEqual(secure)
        expect(await set('__SECURE-sid')).toEqual(secure)
        expect(await set('Secure-sid')).toEqual([
            'Max-Age=604800',
            'Domain=example.com',
            'Path=/app',
            'HttpOnly',
            'SameSite=Lax'
        ])
    })

    test('SameSite=None forces Secure, even over http: browsers refuse it without', async () => {
        const crossSite = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET, cookie: { sameSite: 'none', secure: false } }))
            .get('/count', ({ scopedStore }) => scopedStore.count)
        const response = await crossSite.handle(new Request('http://localhost/count'))
        expect(attributes(response)).toEqual(['Max-Age=604800', 'Path=/', 'HttpOnly', 'Secure', 'SameSite=None'])
    })

    test('a domain is written as given; names, paths and domains a cookie cannot carry are refused at setup', async () => {
        const withDomain = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET, cookie: { domain: 'example.com' } }))
            .get('/count', ({ scopedStore }) => scopedStore.count)
        const response = await withDomain.handle(new Request('http://localhost/count'))
        expect(attributes(response)).toEqual([
            'Max-Age=604800',
            'Domain=example.com',
            'Path=/',
            'HttpOnly',
            'SameSite=Lax'
        ])
        const setup = { count: { value: 0 } }
        expect(() => scopedState(setup, { secret: SECRET, cookieName: 'a;b' })).toThrow("'a;b' cannot be a cookie name")
        expect(() => scopedState(setup, { secret: SECRET, cookie: { path: '/x;y' } })).toThrow(
            'cannot be a cookie path'
        )
        expect(() => scopedState(setup, { secret: SECRET, cookie: { domain: 'a b' } })).toThrow(
            'cannot be a cookie domain'
        )
    })

    test('a Set-Cookie header the handler sets itself (one or several) is sent along with ours', async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/one', ({ scopedStore, set }) => {
                set.headers['set-cookie'] = 'theme=dark; Path=/'
                return ++scopedStore.count
            })
            .post('/two', ({ scopedStore, set }) => {
                set.headers['set-cookie'] = ['theme=dark; Path=/', 'lang=fr; Path=/']
                return ++scopedStore.count
            })
        const names = async (path: string) => {
            const response = await app.handle(new Request(`http://localhost${path}`, { method: 'POST' }))
            return response.headers.getSetCookie().map((line) => line.split('=')[0])
        }
        expect(await names('/one')).toEqual(['theme', 'user_session_id'])
        expect(await names('/two')).toEqual(['theme', 'lang', 'user_session_id'])
    })

    test('a handler that reads the cookie jar, writes none, and sets its own Set-Cookie header: both cookies are sent', async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/increment', ({ scopedStore, cookie, set }) => {
                // Read only: the jar is there, and empty. Elysia writes a jar with entries over this header.
                set.headers['set-cookie'] = `theme=${cookie.theme?.value ?? 'light'}; Path=/`
                return ++scopedStore.count
            })
        const response = await app.handle(new Request('http://localhost/increment', { method: 'POST' }))
        expect(response.headers.getSetCookie().map((line) => line.split(';')[0]?.split('=')[0])).toEqual([
            'theme',
            'user_session_id'
        ])
        expect(response.headers.getSetCookie()[0]).toBe('theme=light; Path=/')
    })

    test('a Response the handler returns, a redirect or one with its own Set-Cookie, gets ours too', async () => {
        const withCookie = () => new Response('ok', { headers: { 'set-cookie': 'seen=1; Path=/' } })
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/response', ({ scopedStore }) => {
                scopedStore.count++
                return withCookie()
            })
            .post('/response-and-header', ({ scopedStore, set }) => {
                set.headers['set-cookie'] = 'theme=dark; Path=/'
                scopedStore.count++
                return withCookie()
            })
            .post('/redirect', ({ scopedStore }) => {
                scopedStore.count++
                return Response.redirect('http://localhost/', 303)
            })
        for (const path of ['/response', '/response-and-header', '/redirect']) {
            const response = await app.handle(new Request(`http://localhost${path}`, { method: 'POST' }))
            expect(response.headers.getSetCookie().map((line) => line.split('=')[0])).toContain('user_session_id')
        }
    })

    test('one Response returned to every visitor carries only each their own cookie, and stays as it was', async () => {
        const redirect = Response.redirect('http://localhost/', 303)
        const withCookie = new Response(null, { status: 204, headers: { 'set-cookie': 'seen=1; Path=/' } })
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/redirect', ({ scopedStore }) => {
                scopedStore.count++
                return redirect
            })
            .post('/with-cookie', ({ scopedStore }) => {
                scopedStore.count++
                return withCookie
            })
        for (const [path, theirs] of [
            ['/redirect', []],
            ['/with-cookie', ['seen=1']]
        ] as const) {
            const sessions = new Set<string>()
            for (let visitor = 0; visitor < 3; visitor++) {
                const response = await app.handle(new Request(`http://localhost${path}`, { method: 'POST' }))
                const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0] as string)
                const ours = cookies.filter((cookie) => cookie.startsWith('user_session_id='))
                expect(ours).toHaveLength(1)
                sessions.add(ours[0] as string)
                expect(cookies.filter((cookie) => !ours.includes(cookie))).toEqual([...theirs])
            }
            expect(sessions.size).toBe(3)
        }
        expect(redirect.headers.getSetCookie()).toEqual([])
        expect(withCookie.headers.getSetCookie()).toEqual(['seen=1; Path=/'])
    })

    test("the app's own cookies are kept beside ours on a returned Response", async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/login', ({ regenerateScopedSession, cookie }) => {
                regenerateScopedSession()
                cookie.flash?.set({ value: 'welcome' })
                cookie.csrf?.set({ value: 'token' })
                return Response.redirect('http://localhost/', 303)
            })
            .post('/listed', ({ scopedStore, set }) => {
                scopedStore.count++
                set.headers['set-cookie'] = ['a=1; Path=/', 'b=2; Path=/']
                return new Response('ok')
            })
        const names = async (path: string) => {
            const response = await app.handle(new Request(`http://localhost${path}`, { method: 'POST' }))
            return response.headers
                .getSetCookie()
                .map((line) => line.split('=')[0])
                .sort()
        }
        expect(await names('/login')).toEqual(['csrf', 'flash', 'user_session_id'])
        expect(await names('/listed')).toEqual(['a', 'b', 'user_session_id'])
    })

    test('a response that carries the cookie is stored by no shared cache, whatever the route allows: only that one', async () => {
        // Kept by a proxy or CDN, it would hand one session to every visitor served the copy.
        const clock = manualClock()
        // One Response returned to every visitor, with a cookie of its own: each gets a copy.
        const shared = new Response(null, {
            status: 204,
            headers: { 'set-cookie': 'seen=1', 'cache-control': 'max-age=60' }
        })
        const app = stateApp({ now: clock.now, idleTimeout: 3600 })
            .get('/public', ({ set }) => {
                set.headers['Cache-Control'] = 'public, max-age=300'
                return 'public'
            })
            .get('/private', ({ set }) => {
                set.headers['cache-control'] = 'private, max-age=60'
                return 'private'
            })
            .get('/response', () => new Response('shared', { headers: { 'cache-control': 's-maxage=60' } }))
            .get('/redirect', () => Response.redirect('http://localhost/', 303))
            .get('/shared', () => shared)
        const cacheControl = async (user: ReturnType<typeof client>, path: string) => {
            const response = await user.get(path)
            return [response.headers.has('set-cookie'), response.headers.get('cache-control')]
        }
        expect(await cacheControl(client(app), '/public')).toEqual([true, 'public, max-age=300, no-store'])
        expect(await cacheControl(client(app), '/response')).toEqual([true, 's-maxage=60, no-store'])
        // A cache may keep a 200 that says nothing (heuristic freshness), nor must a route say `public` to be kept.
        expect(await cacheControl(client(app), '/count')).toEqual([true, 'no-store'])
        expect(await cacheControl(client(app), '/redirect')).toEqual([true, 'no-store'])
        expect(await cacheControl(client(app), '/private')).toEqual([true, 'private, max-age=60'])
        expect(await cacheControl(client(app), '/shared')).toEqual([true, 'max-age=60, no-store'])
        expect(shared.headers.get('cache-control')).toBe('max-age=60')
        const user = client(app)
        await user.get('/count')
        expect(await cacheControl(user, '/public')).toEqual([false, 'public, max-age=300'])
        expect(await cacheControl(user, '/response')).toEqual([false, 's-maxage=60'])
        expect(await cacheControl(user, '/count')).toEqual([false, null])
        // The cookie re-sent (refreshAfter), and a logout's clearing one: that response only.
        clock.advance(400)
        expect(await cacheControl(user, '/public')).toEqual([true, 'public, max-age=300, no-store'])
        expect(await cacheControl(user, '/public')).toEqual([false, 'public, max-age=300'])
        const logout = await user.post('/logout')
        expect([logout.headers.get('set-cookie'), logout.headers.get('cache-control')]).toEqual([
            expect.stringContaining('Max-Age=0'),
            'no-store'
        ])
    })

    test("a login that also writes Elysia's cookie jar and a Set-Cookie header of its own sends the new session's cookie", async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/login', ({ regenerateScopedSession, cookie, set }) => {
                regenerateScopedSession()
                cookie.flash?.set({ value: 'welcome' })
                set.headers['set-cookie'] = 'legacy=1; Path=/'
                return 'signed in'
            })
        const response = await app.handle(new Request('http://localhost/login', { method: 'POST' }))
        // Elysia writes a jar with entries over the handler's own header: that one is Elysia's to drop.
        expect(response.headers.getSetCookie().map((line) => line.split('=')[0])).toContain('user_session_id')
    })

    test("a login that ends with the browser, on a route writing Elysia's cookie jar, goes without Max-Age there too", async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/login', ({ regenerateScopedSession, cookie }) => {
                regenerateScopedSession({ persistent: false })
                cookie.flash?.set({ value: 'welcome' })
                return 'signed in'
            })
        const response = await app.handle(new Request('http://localhost/login', { method: 'POST' }))
        const session = response.headers.getSetCookie().find((line) => line.startsWith('user_session_id='))
        expect(session).toMatch(/^user_session_id=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax$/)
    })

    test("a hook after the plugin that writes Elysia's cookie jar: both cookies are sent", async () => {
        const app = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .onAfterHandle({ as: 'global' }, ({ cookie }) => {
                cookie.visited?.set({ value: 'yes' })
            })
            .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        const user = client(app)
        const first = await user.post('/increment')
        expect(
            first.headers
                .getSetCookie()
                .map((line) => line.split('=')[0])
                .sort()
        ).toEqual(['user_session_id', 'visited'])
        expect(await (await user.post('/increment')).text()).toBe('2')
    })

    test('a t.Cookie schema that allows no other cookies must name the session cookie, else its route answers 422', async () => {
        const schemaApp = (named: boolean) =>
            new Elysia()
                .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
                .post('/increment', ({ scopedStore }) => ++scopedStore.count)
                .get('/count', ({ scopedStore }) => scopedStore.count, {
                    cookie: t.Cookie(
                        named
                            ? { flash: t.Optional(t.String()), user_session_id: t.Optional(t.String()) }
                            : { flash: t.Optional(t.String()) },
                        { additionalProperties: false }
                    )
                })
        for (const named of [false, true]) {
            const user = client(schemaApp(named))
            // A new visitor brings no cookie: the schema passes either way.
            expect((await user.get('/count')).status).toBe(200)
            await user.post('/increment')
            const response = await user.get('/count')
            expect([response.status, named ? await response.text() : 'refused']).toEqual(
                named ? [200, '1'] : [422, 'refused']
            )
        }
    })

    test("a handler using Elysia's cookie jar: both cookies are sent", async () => {
        const jarApp = new Elysia()
            .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
            .post('/increment', ({ scopedStore, cookie }) => {
                cookie.seen?.set({ value: 'yes' })
                return ++scopedStore.count
            })
            .get('/count', ({ scopedStore }) => scopedStore.count)
        const response = await jarApp.handle(new Request('http://localhost/increment', { method: 'POST' }))
        const cookies = response.headers.getSetCookie()
        expect(cookies.map((line) => line.split('=')[0]).sort()).toEqual(['seen', 'user_session_id'])
        const ours = cookies.find((line) => line.startsWith('user_session_id=')) as string
        expect(
            ours
                .split(';')
                .slice(1)
                .map((part) => part.trim())
        ).toEqual(['Max-Age=604800', 'Path=/', 'HttpOnly', 'SameSite=Lax'])
        // The session it names is the one that was written.
        const again = await jarApp.handle(
            new Request('http://localhost/count', { headers: { cookie: ours.split(';')[0] as string } })
        )
        expect(await again.text()).toBe('1')
    })

    test('carries at least 128 bits of CSPRNG output, different for every visitor', async () => {
        const ids = new Set<string>()
        for (let i = 0; i < 200; i++) {
            const id = sessionIdOf(setCookieOf(await app.handle(new Request('http://localhost/count'))))
            expect(Buffer.from(id, 'base64url').length * 8).toBeGreaterThanOrEqual(128)
            ids.add(id)
        }
        expect(ids.size).toBe(200)
    })

    test('is not sent again on every response', async () => {
        const user = client(app)
        await user.post('/increment')
        const again = await user.post('/increment')
        expect(again.headers.get('set-cookie')).toBeNull()
        expect(await again.text()).toBe('2')
    })

    test('is read with the blanks a lenient client leaves around its value', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        const [name, value] = user.cookie.split('=') as [string, string]
        expect(await user.text('/count', { cookie: `${name}= ${value} ; other=1` })).toBe('1')
    })
})

describe('a cookie the server did not issue', () => {
    const app = stateApp()
    const forged = [
        'unknown-session-id',
        'FjWxUqCFnmS4E3P7uGyLeF2k.tp4tlt.tp4tlt.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        '__proto__',
        'constructor',
        'toString',
        '{"id":1}',
        '12345',
        '%00%ff',
        'x'.repeat(10_000)
    ]

    test.each(forged)('%# is never adopted: a fresh session, no error page', async (value) => {
        const victim = client(app)
        await victim.post('/increment')
        const response = await app.handle(
            new Request('http://localhost/increment', {
                method: 'POST',
                headers: { cookie: `user_session_id=${value}` }
            })
        )
        expect(response.status).toBe(200)
        expect(await response.text()).toBe('1')
        const issued = setCookieOf(response) as string
        expect(issued).toStartWith('user_session_id=')
        expect(issued).not.toBe(`user_session_id=${value}`)
        // Nobody else's state was touched.
        expect(await victim.text('/count')).toBe('1')
    })

    test('__proto__ cannot reach Object.prototype', async () => {
        await app.handle(
            new Request('http://localhost/tag/polluted', {
                method: 'POST',
                headers: { cookie: 'user_session_id=__proto__' }
            })
        )
        await app.handle(
            new Request('http://localhost/theme/polluted', {
                method: 'POST',
                headers: { cookie: 'user_session_id=__proto__' }
            })
        )
        expect(({} as Record<string, unknown>).tags).toBeUndefined()
        expect(({} as Record<string, unknown>).theme).toBeUndefined()
        expect(Object.keys(Object.prototype)).toEqual([])
    })

    test('a valid cookie among others is found; a lookalike name is not', async () => {
        const user = client(app)
        await user.post('/increment')
        const value = user.cookie
        expect(await client(app, `a=1; ${value}; b=2`).text('/count')).toBe('1')
        expect(await client(app, `x${value}`).text('/count')).toBe('0')
    })

    test('a stale or planted cookie of the same name sent first does not hide the valid one', async () => {
        const user = client(app)
        await user.post('/increment')
        const value = user.cookie
        // A browser sends one cookie per matching path and domain: a parent domain's may come first.
        const stale =
            'user_session_id=FjWxUqCFnmS4E3P7uGyLeF2k.tp4tlt.tp4tlt.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
        const response = await client(app, `${stale}; user_session_id=junk; ${value}`).get('/count')
        expect(await response.text()).toBe('1')
        expect(response.headers.get('set-cookie')).toBeNull()
        // The number of cookies tried is bounded: the first four, so a valid one behind four forged ones is not reached.
        const forged = (n: number) => Array.from({ length: n }, (_, i) => `user_session_id=forged${i}`).join('; ')
        expect(await client(app, `${forged(3)}; ${value}`).text('/count')).toBe('1')
        expect(await client(app, `${forged(4)}; ${value}`).text('/count')).toBe('0')
    })
})
