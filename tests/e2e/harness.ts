/**
 * One e2e test file = one real server + one headless Chromium, shared by its tests.
 * Each test opens the browser contexts (users) it needs; they close after the test.
 * Env `E2E_BROWSER=firefox` runs the file in Firefox ESR instead (`./firefox.ts`).
 */
import { afterAll, afterEach, beforeAll, describe, test } from 'bun:test'
import { join } from 'node:path'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core'
import { type RunningServer, type StartServerOptions, startServer } from '../helpers/server'
import { findChromium, launchChromium } from './chromium'
import { findFirefox, isPagesOwnError, launchFirefox, withoutScripts } from './firefox'

const IN_FIREFOX = process.env.E2E_BROWSER === 'firefox'
const BROWSER_NAME = IN_FIREFOX ? 'Firefox' : 'Chromium'

// The size of the committed screenshots.
const VIEWPORT = { width: 1280, height: 800 }

// Short: the app answers in milliseconds, and a failing step should fail well within the test timeout.
const STEP_TIMEOUT_MS = 5000
// A scenario takes seconds on a busy 2-core machine. bun's default of 5 s per test and hook would
// interrupt it, and bun then kills the browser the remaining tests of the file need.
const TEST_TIMEOUT_MS = 30_000

/**
 * `test` with room for a browser scenario.
 *
 * @example
 * browserTest('starts at 0', async () => {
 *     await expectText((await e2e.openPage('/counter')).locator('#count'), '0')
 * })
 */
export const browserTest = (name: string, scenario: () => Promise<void>) => test(name, scenario, TEST_TIMEOUT_MS)

/**
 * The server of an app in `fixtures/`, for `e2eSuite`'s last argument: run by Bun, it prints the
 * URL it listens on, as the demo does.
 * @example e2eSuite('a list', (e2e) => { … }, fixtureServer('list-app.ts'))
 */
export const fixtureServer = (file: string) => (): StartServerOptions => ({
    command: [process.execPath, join(import.meta.dir, 'fixtures', file)]
})

export interface E2E {
    /**
     * A fresh browser context (a new user: its own cookies), closed after the test; relative URLs go to the server.
     * Of several tabs, only the one in front gets animation frames at full rate: `bringToFront()` the one a step
     * drives, or each htmx swap there takes about two seconds.
     */
    newContext: (options?: BrowserContextOptions) => Promise<BrowserContext>
    /** A page in a fresh context, already at `path`. */
    openPage: (path: string, options?: BrowserContextOptions) => Promise<Page>
}

/**
 * Declares a describe block whose tests drive the demo in a real browser. Without the browser
 * its tests are skipped with a one-line reason, or fail when env REQUIRE_SERVICES=1 (CI).
 *
 * @example
 * e2eSuite('counter', (e2e) => {
 *     browserTest('starts at 0', async () => {
 *         const page = await e2e.openPage('/counter')
 *         await expectText(page.locator('#count'), '0')
 *     })
 * })
 *
 * `server` gives the server's options when it starts (after the file's own `beforeAll`s,
 * so a store started there can be named), e.g. `() => ({ env: { SCOPED_STATE_STORE: url } })`.
 */
export const e2eSuite = (name: string, define: (e2e: E2E) => void, server?: () => StartServerOptions) => {
    const lookup = IN_FIREFOX ? findFirefox() : findChromium()
    if ('missing' in lookup) {
        if (process.env.REQUIRE_SERVICES === '1') {
            describe(name, () => {
                test(`${BROWSER_NAME} is available (REQUIRE_SERVICES=1)`, () => {
                    throw new Error(lookup.missing)
                })
            })
            return
        }
        console.warn(`e2e '${name}' skipped: ${lookup.missing}`)
        describe.skip(name, () => define(notStarted))
        return
    }

    let running: RunningServer | undefined
    let browser: Browser | undefined
    let open: BrowserContext[] = []
    let scriptErrors: string[] = []

    const newContext = async (options: BrowserContextOptions = {}) => {
        if (!browser || !running) throw new Error('e2e harness not started')
        const context = await browser.newContext({ baseURL: running.url, viewport: VIEWPORT, ...options })
        context.setDefaultTimeout(STEP_TIMEOUT_MS)
        if (IN_FIREFOX && options.javaScriptEnabled === false) await withoutScripts(context)
        // An uncaught script error (htmx, app.js) fails the test even when the page still looks right.
        context.on('weberror', (error) => {
            if (IN_FIREFOX && !isPagesOwnError(error.error())) return
            scriptErrors.push(`${error.page()?.url()}: ${error.error().message}`)
        })
        // So does what the CSP blocked (an inline script or handler, a style attribute): the browser only logs it.
        context.on('console', (message) => {
            if (message.type() === 'error' && message.text().includes('Content Security Policy'))
                scriptErrors.push(`${message.page()?.url()}: ${message.text()}`)
        })
        open.push(context)
        return context
    }
    const e2e: E2E = {
        newContext,
        openPage: async (path, options) => {
            const page = await (await newContext(options)).newPage()
            await page.goto(path)
            return page
        }
    }

    describe(name, () => {
        beforeAll(async () => {
            const [started, launched] = await Promise.allSettled([
                startServer(server?.()),
                IN_FIREFOX ? launchFirefox(lookup.path) : launchChromium(lookup.path)
            ])
            // Keep whichever started, so afterAll stops it even when the other failed.
            if (started.status === 'fulfilled') running = started.value
            if (launched.status === 'fulfilled') browser = launched.value
            for (const result of [started, launched]) if (result.status === 'rejected') throw result.reason
        }, TEST_TIMEOUT_MS)
        afterEach(async () => {
            await Promise.all(open.map((context) => context.close()))
            open = []
            const errors = scriptErrors
            scriptErrors = []
            if (errors.length > 0) throw new Error(`script errors in the page:\n${errors.join('\n')}`)
        }, TEST_TIMEOUT_MS)
        afterAll(async () => {
            await browser?.close()
            await running?.stop()
        }, TEST_TIMEOUT_MS)
        define(e2e)
    })
}

const notStarted: E2E = {
    newContext: () => Promise.reject(new Error('e2e harness not started')),
    openPage: () => Promise.reject(new Error('e2e harness not started'))
}
