/**
 * Every example of the user's spec (../shared/spec/scoped-state.md from the project's root), verbatim but for
 * the import paths (the plugin is copied into the app, not installed from npm;
 * `handleHTMXPageRequest` is a stand-in) and `.listen(3000)`.
 */
import { describe, expect, test } from 'bun:test'
import Elysia from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { handleHTMXPageRequest } from '../helpers/absolute'
import { client, NAVIGATE } from '../helpers/client'

describe('Getting Started', () => {
    test('the plugin mounts with a count and a preserved username', async () => {
        const app = new Elysia().use(
            scopedState({
                count: { value: 0 },
                username: { value: '', preserve: true }
            })
        )
        // The spec calls .listen(3000); listening on a free port proves the same.
        app.listen({ port: 0, hostname: '127.0.0.1' })
        try {
            // No routes yet: the server answers, and nothing in the plugin throws.
            const response = await fetch(`http://127.0.0.1:${app.server?.port}/`)
            expect(response.status).toBe(404)
        } finally {
            await app.stop()
        }
    })
})

describe('Accessing State', () => {
    // Access and modify scoped state in route handlers
    const app = new Elysia()
        .use(scopedState({ count: { value: 0 } }))
        .get('/api/count', ({ scopedStore }) => {
            // Each user sees their own count
            return scopedStore.count
        })
        .post('/api/increment', ({ scopedStore }) => {
            // Increment only affects this user's state
            return ++scopedStore.count
        })
        .post('/api/decrement', ({ scopedStore }) => {
            return --scopedStore.count
        })

    test('the "How It Works" table: two users, independent counts', async () => {
        const a = client(app)
        const b = client(app)
        // "On first request, a secure user_session_id cookie is created"
        const first = await a.get('/api/count')
        const cookie = first.headers.get('set-cookie') ?? ''
        expect(cookie).toMatch(/^user_session_id=[\w.-]+;/)
        for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/']) expect(cookie).toContain(attribute)
        // Secure over https: over plain http (development) browsers would refuse it.
        expect(cookie).not.toContain('Secure')
        const overHttps = await app.handle(new Request('https://localhost/api/count'))
        expect(overHttps.headers.get('set-cookie')).toEndWith('; HttpOnly; Secure; SameSite=Lax')
        expect(await first.text()).toBe('0')
        expect(await b.text('/api/count')).toBe('0')
        expect(await (await a.post('/api/increment')).text()).toBe('1')
        expect(await (await b.post('/api/increment')).text()).toBe('1')
        expect(await (await a.post('/api/increment')).text()).toBe('2')
        expect(await b.text('/api/count')).toBe('1')
        expect(await (await a.post('/api/decrement')).text()).toBe('1')
    })
})

describe('Preserve Option', () => {
    test('count resets on a refresh or navigation; theme and username persist', async () => {
        const plugin =
            // The preserve option keeps state across page refreshes and navigation
            scopedState({
                // This resets when the user refreshes or navigates away
                count: { value: 0 },

                // This persists across page refreshes and switches
                theme: { value: 'light', preserve: true },
                username: { value: '', preserve: true }
            })
        const app = new Elysia()
            .use(plugin)
            .get('/', ({ scopedStore }) => `${scopedStore.theme}/${scopedStore.count}`)
            // Test-only: change all three, as a page's buttons would.
            .post('/change', ({ scopedStore }) => {
                scopedStore.count = 7
                scopedStore.theme = 'dark'
                scopedStore.username = 'ada'
                return 'changed'
            })
            .get('/username', ({ scopedStore }) => scopedStore.username)
        const user = client(app)
        expect(await user.text('/')).toBe('light/0')
        await user.post('/change')
        expect(await user.text('/')).toBe('dark/7')
        // A refresh, or navigating to another page: count resets, theme and username stay.
        expect(await (await user.get('/', NAVIGATE)).text()).toBe('dark/0')
        expect(await user.text('/username')).toBe('ada')
    })
})

describe('Resetting State', () => {
    // Programmatically reset the user's scoped store
    const app = new Elysia()
        .use(
            scopedState({
                count: { value: 0 },
                theme: { value: 'light', preserve: true }
            })
        )
        .post('/api/reset', ({ resetScopedStore }) => {
            // Resets count to 0, but keeps theme (respects preserve)
            resetScopedStore()
            return 'State reset!'
        })
        .post('/api/full-reset', ({ resetScopedStore }) => {
            // Ignores preserve flags, resets everything including theme
            resetScopedStore(true)
            return 'Full state reset!'
        })
        // Test-only routes to set and read the state around the spec's two.
        .post('/set', ({ scopedStore }) => {
            scopedStore.count = 5
            scopedStore.theme = 'dark'
            return 'ok'
        })
        .get('/state', ({ scopedStore }) => `${scopedStore.count}/${scopedStore.theme}`)

    test('resetScopedStore() keeps preserved keys', async () => {
        const user = client(app)
        await user.post('/set')
        expect(await (await user.post('/api/reset')).text()).toBe('State reset!')
        expect(await user.text('/state')).toBe('0/dark')
    })

    test('resetScopedStore(true) resets everything', async () => {
        const user = client(app)
        await user.post('/set')
        expect(await (await user.post('/api/full-reset')).text()).toBe('Full state reset!')
        expect(await user.text('/state')).toBe('0/light')
    })
})

describe('HTMX Integration', () => {
    // Complete HTMX counter example with scoped state (its counter.html runs in Chromium in
    // tests/e2e/spec-htmx.test.ts). The spec calls .listen(3000); these tests use app.handle.
    const app = new Elysia()
        .use(
            scopedState({
                count: { value: 0 }
            })
        )
        .get('/app', () => handleHTMXPageRequest('./build/pages/counter.html'))
        .get('/api/count', ({ scopedStore }) => {
            return `<span id="count">${scopedStore.count}</span>`
        })
        .post('/api/increment', ({ scopedStore }) => {
            return `<span id="count">${++scopedStore.count}</span>`
        })
        .post('/api/decrement', ({ scopedStore }) => {
            return `<span id="count">${--scopedStore.count}</span>`
        })

    test('User A clicks 3 times and sees 3; B visits the page and sees 0, then 1; A still sees 3', async () => {
        const a = client(app)
        const b = client(app)
        expect(await (await a.get('/app', NAVIGATE)).text()).toContain('hx-post="/api/increment"')
        for (const expected of [1, 2, 3])
            expect(await (await a.post('/api/increment')).text()).toBe(`<span id="count">${expected}</span>`)
        await b.get('/app', NAVIGATE)
        expect(await b.text('/api/count')).toBe('<span id="count">0</span>')
        expect(await (await b.post('/api/increment')).text()).toBe('<span id="count">1</span>')
        expect(await a.text('/api/count')).toBe('<span id="count">3</span>')
        expect(await (await a.post('/api/decrement')).text()).toBe('<span id="count">2</span>')
    })

    test('the count resets when A refreshes the page, which reads no state itself', async () => {
        const a = client(app)
        await a.get('/app', NAVIGATE)
        await a.post('/api/increment')
        await a.get('/app', NAVIGATE)
        expect(await a.text('/api/count')).toBe('<span id="count">0</span>')
    })
})
