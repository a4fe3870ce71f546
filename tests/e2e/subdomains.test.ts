/**
 * The app on subdomains of one site, over https, with a hostile sibling host beside it (a
 * tenant's own server, a name taken over) that sets cookies for the parent domain. Under the
 * production cookie, `__Host-session`, each host keeps its own session and the sibling plants
 * none; a cookie shared through `cookie.domain` is the sibling's to replace, as
 * docs/deployment.md ("On subdomains") warns.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'bun'
import type { AnyElysia } from 'elysia'
import type { Browser, BrowserContext } from 'playwright-core'
import type { ScopedStateOptions } from '../../plugins/scoped-state'
import { createApp } from '../../server/app'
import { SECRET } from '../helpers/plugin-app'
import { findChromium, launchChromium, SITE_DOMAIN } from './chromium'
import { signIn } from './demo'
import { expectText } from './expect'

const lookup = findChromium()
const OPENSSL = Bun.which('openssl')
const missing = 'missing' in lookup ? lookup.missing : OPENSSL ? undefined : 'no openssl to make the certificate'

/** A self-signed certificate for every host under `SITE_DOMAIN`: the browser is told to accept it. */
const certificate = () => {
    const dir = mkdtempSync(join(tmpdir(), 'subdomains-'))
    try {
        const args = 'req -x509 -newkey rsa:2048 -nodes -days 2 -keyout key.pem -out cert.pem'.split(' ')
        const names = ['-subj', `/CN=*.${SITE_DOMAIN}`, '-addext', `subjectAltName=DNS:*.${SITE_DOMAIN}`]
        const run = Bun.spawnSync([OPENSSL ?? 'openssl', ...args, ...names], {
            stdout: 'ignore',
            stderr: 'pipe',
            cwd: dir
        })
        if (!run.success) throw new Error(`openssl failed: ${run.stderr.toString()}`)
        return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
    } finally {
        rmSync(dir, { recursive: true, force: true })
    }
}

describe.skipIf(missing !== undefined && process.env.REQUIRE_SERVICES !== '1')('the app on subdomains', () => {
    let tls: { cert: string; key: string }
    let browser: Browser | undefined
    let sibling: Server<undefined> | undefined
    const apps: AnyElysia[] = []
    const contexts: BrowserContext[] = []

    beforeAll(async () => {
        if (missing !== undefined || 'missing' in lookup) throw new Error(missing)
        tls = certificate()
        browser = await launchChromium(lookup.path)
        // The hostile sibling: sets each `Set-Cookie` line it is given, and serves a form posting anywhere.
        sibling = Bun.serve({
            port: 0,
            hostname: '127.0.0.1',
            tls,
            fetch: (request) => {
                const url = new URL(request.url)
                const headers = new Headers({ 'content-type': 'text/html' })
                for (const line of url.searchParams.getAll('set-cookie')) headers.append('set-cookie', line)
                const action = Bun.escapeHTML(url.searchParams.get('action') ?? '')
                return new Response(`<form method="post" action="${action}"><button>Go</button></form>`, { headers })
            }
        })
    }, 30_000)
    afterAll(async () => {
        await Promise.all(contexts.map((context) => context.close()))
        await browser?.close()
        await Promise.all(apps.map((app) => app.stop()))
        await sibling?.stop(true)
    }, 30_000)

    /** The production app over https, with `state` options, and addresses of its hosts and of the sibling. */
    const start = (state: ScopedStateOptions) => {
        const app = createApp({ state: { secret: SECRET, production: true, ...state }, warn: () => {} }).listen({
            port: 0,
            hostname: '127.0.0.1',
            tls
        })
        apps.push(app)
        const at = (host: string, path: string, port = app.server?.port) =>
            `https://${host}.${SITE_DOMAIN}:${port}${path}`
        const siblingAt = (path: string) => at('evil', path, sibling?.port)
        return { at, siblingAt }
    }
    const user = async () => {
        if (!browser) throw new Error('no browser')
        const context = await browser.newContext({ ignoreHTTPSErrors: true })
        context.setDefaultTimeout(5000)
        contexts.push(context)
        return context
    }
    /** A page of a new user signed in as `name` on `url`'s host, and that user's cookie. */
    const signedIn = async (url: string, name: string) => {
        const context = await user()
        const page = await context.newPage()
        await page.goto(url)
        await signIn(page, name)
        await expectText(page.locator('#account strong'), name)
        const [cookie] = await context.cookies()
        if (!cookie) throw new Error('no session cookie')
        return { page, cookie }
    }
    const plant = (siblingAt: (path: string) => string, lines: string[]) =>
        siblingAt(`/?${lines.map((line) => `set-cookie=${encodeURIComponent(line)}`).join('&')}`)

    test('__Host-session: each host its own session; a sibling plants none, and its form is refused', async () => {
        const { at, siblingAt } = start({})
        const mallory = await signedIn(at('alice', '/account'), 'Mallory')
        const { page } = await signedIn(at('alice', '/account'), 'Victim')
        // Each line as a hostile sibling would try it: for the whole site, nameless, in another case.
        const value = mallory.cookie.value
        await page.goto(
            plant(siblingAt, [
                `__Host-session=${value}; Domain=${SITE_DOMAIN}; Path=/; Secure; HttpOnly`,
                `=__Host-session=${value}; Domain=${SITE_DOMAIN}; Path=/account; Secure`,
                `__host-session=${value}; Domain=${SITE_DOMAIN}; Path=/account; Secure`
            ])
        )
        expect((await page.context().cookies()).map(({ name, domain }) => `${name} ${domain}`)).toEqual([
            `__Host-session alice.${SITE_DOMAIN}`
        ])
        await page.goto(at('alice', '/account'))
        await expectText(page.locator('#account strong'), 'Victim')
        await page.goto(at('bob', '/account'))
        await page.getByLabel('Name').waitFor()

        await page.goto(siblingAt(`/?action=${encodeURIComponent(at('alice', '/account/sign-out'))}`))
        const [refused] = await Promise.all([page.waitForResponse(/sign-out/), page.getByText('Go').click()])
        expect(refused.status()).toBe(403)
        await page.goto(at('alice', '/account'))
        await expectText(page.locator('#account strong'), 'Victim')
    }, 30_000)

    test('a cookie shared through cookie.domain reaches every host, and the sibling plants its own session', async () => {
        const shared = { cookieName: '__Secure-session', cookie: { domain: SITE_DOMAIN } }
        const { at, siblingAt } = start(shared)
        const mallory = await signedIn(at('auth', '/account'), 'Mallory')
        const { page } = await signedIn(at('auth', '/account'), 'Victim')
        await page.goto(at('bob', '/account'))
        await expectText(page.locator('#account strong'), 'Victim')
        // A longer path than the user's cookie: the browser sends it first there, and the app takes it.
        const line = `__Secure-session=${mallory.cookie.value}; Domain=${SITE_DOMAIN}; Path=/account; Secure; HttpOnly`
        await page.goto(plant(siblingAt, [line]))
        await page.goto(at('bob', '/account'))
        await expectText(page.locator('#account strong'), 'Mallory')
    }, 30_000)
})
