/**
 * The plugin recipes' "Sign in with a provider" in Chromium, against a provider on another site
 * (`PLAIN_HTTP_HOST`, the app on `localhost`): the usual callback, a cross-site top-level GET,
 * brings the `SameSite=Lax` session cookie; `response_mode=form_post`, a cross-site POST, does
 * not, and the GET it is handed on to does. Left under the plugin, a form_post callback's answer
 * sets a new visitor's cookie that replaces the user's.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { type AnyElysia, Elysia } from 'elysia'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { scopedState } from '../../plugins/scoped-state'
import { type Grant, redeem } from '../helpers/fake-provider'
import { SECRET } from '../helpers/plugin-app'
import { loadSample, removeSamples } from '../helpers/readme-samples'
import { findChromium, launchChromium, PLAIN_HTTP_HOST } from './chromium'

const lookup = findChromium()

/** A provider that approves `ada` when the user follows its link, or at once by form_post. */
const startProvider = (issuer: string, clientId: string) => {
    const grants = new Map<string, Grant>()
    const page = (body: string) => new Response(`<!doctype html>${body}`, { headers: { 'content-type': 'text/html' } })
    return Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: async (request) => {
            const url = new URL(request.url)
            if (url.pathname === '/token') return (await redeem(grants, request, { issuer, clientId })).response
            if (url.pathname !== '/authorize') return new Response('Not found', { status: 404 })
            const asked = url.searchParams
            const code = crypto.randomUUID()
            grants.set(code, {
                challenge: asked.get('code_challenge') ?? '',
                nonce: asked.get('nonce') ?? '',
                sub: 'ada'
            })
            const callback = new URL(asked.get('redirect_uri') ?? '')
            const state = asked.get('state') ?? ''
            const escapeHtml = Bun.escapeHTML
            if (asked.get('response_mode') === 'form_post')
                return page(
                    `<body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(callback.href)}">` +
                        `<input type="hidden" name="code" value="${code}">` +
                        `<input type="hidden" name="state" value="${escapeHtml(state)}"></form>`
                )
            callback.search = new URLSearchParams({ code, state }).toString()
            return page(`<a href="${escapeHtml(callback.href)}">Allow</a>`)
        }
    })
}

describe.skipIf('missing' in lookup && process.env.REQUIRE_SERVICES !== '1')('signing in with a provider', () => {
    let browser: Browser | undefined
    let app: AnyElysia | undefined
    /** A form_post callback left under the plugin, and a page of the same session that counts visits. */
    let underPlugin: AnyElysia | undefined
    let provider: Server<undefined> | undefined
    let origin = ''
    const contexts: BrowserContext[] = []

    beforeAll(async () => {
        if ('missing' in lookup) throw new Error(lookup.missing)
        const sample = await loadSample('plugins/scoped-state/RECIPES.md', 'response_mode')
        app = sample.app.listen({ port: 0, hostname: '127.0.0.1' })
        origin = `http://localhost:${app?.server?.port}`
        provider = startProvider(sample.provider.issuer, sample.provider.clientId)
        Object.assign(sample.provider, {
            authorize: `http://${PLAIN_HTTP_HOST}:${provider.port}/authorize`,
            token: `http://127.0.0.1:${provider.port}/token`,
            callback: `${origin}/login/provider/callback`
        })
        underPlugin = new Elysia()
            .use(scopedState({ visits: { value: 0, preserve: true } }, { secret: SECRET }))
            .get('/visits', ({ scopedStore }) => ++scopedStore.visits)
            .post('/callback', () => 'received')
            .listen({ port: 0, hostname: '127.0.0.1' })
        browser = await launchChromium(lookup.path)
    }, 30_000)
    afterAll(async () => {
        await Promise.all(contexts.map((context) => context.close()))
        await browser?.close()
        await app?.stop()
        await underPlugin?.stop()
        await provider?.stop(true)
        removeSamples()
    }, 30_000)

    /** A visitor with a session, sent to the provider by a button of the app's page, and each callback's Cookie. */
    const leave = async (mode: string) => {
        const context = await newContext()
        const cookies: string[] = []
        context.on('request', async (request) => {
            if (request.url().includes('/callback'))
                cookies.push(`${request.method()} ${(await request.allHeaders()).cookie ?? 'none'}`)
        })
        const page = await context.newPage()
        await page.goto(`${origin}/me`)
        const [before] = await context.cookies()
        await page.setContent(
            `<form method="post" action="${origin}/login/provider?mode=${mode}"><button>Sign in</button></form>`
        )
        await page.getByRole('button', { name: 'Sign in' }).click()
        return { page, before: `user_session_id=${before?.value}`, cookies }
    }
    const newContext = async () => {
        if (!browser) throw new Error('no browser')
        const context = await browser.newContext()
        context.setDefaultTimeout(5000)
        contexts.push(context)
        return context
    }
    const signedIn = async (page: Page) => {
        await page.waitForURL(`${origin}/`)
        await page.goto(`${origin}/me`)
        expect(await page.locator('body').textContent()).toBe('ada')
    }

    test('the usual callback, a cross-site GET, brings the session cookie; signed in, it changes', async () => {
        const { page, before, cookies } = await leave('query')
        await page.getByRole('link', { name: 'Allow' }).click()
        await signedIn(page)
        expect(cookies).toEqual([`GET ${before}`])
        expect((await page.context().cookies())[0]?.value).not.toBe(before.split('=')[1])
    }, 30_000)

    test('form_post, a cross-site POST, brings no cookie; the GET it is handed on to does', async () => {
        const { page, before, cookies } = await leave('form_post')
        await signedIn(page)
        expect(cookies).toEqual(['POST none', `GET ${before}`])
    }, 30_000)

    test("form_post to a route under the plugin: its answer's new session replaces the user's", async () => {
        const page = await (await newContext()).newPage()
        const visits = `http://localhost:${underPlugin?.server?.port}/visits`
        await page.goto(visits)
        await page.goto(visits)
        expect(await page.locator('body').textContent()).toBe('2')
        const authorize = new URL(`http://${PLAIN_HTTP_HOST}:${provider?.port}/authorize`)
        authorize.search = new URLSearchParams({
            response_mode: 'form_post',
            redirect_uri: `http://localhost:${underPlugin?.server?.port}/callback`,
            state: 'any'
        }).toString()
        await page.goto(authorize.href)
        await page.waitForURL(/\/callback$/)
        await page.goto(visits)
        expect(await page.locator('body').textContent()).toBe('1')
    }, 30_000)
})
