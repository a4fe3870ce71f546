/**
 * The system Firefox (Debian package `firefox-esr`), driven by playwright-core over WebDriver BiDi
 * (its `moz-firefox` channel), for the e2e runs that env `E2E_BROWSER=firefox` selects.
 * Playwright's own patched Firefox is not needed, nor downloaded.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, firefox } from 'playwright-core'
import { type BrowserLookup, onPathOrNamed, PLAIN_HTTP_HOST } from './chromium'

const NAMES = ['firefox-esr', 'firefox']

/** Finds Firefox: env `FIREFOX_PATH` if set, else firefox-esr or firefox on the PATH. */
export const findFirefox = (
    env: Record<string, string | undefined> = process.env,
    exists: (path: string) => boolean = existsSync
): BrowserLookup =>
    onPathOrNamed('FIREFOX_PATH', NAMES, env, exists) ?? {
        missing: `no Firefox on the PATH (${NAMES.join(', ')}): apt-get install firefox-esr, or set FIREFOX_PATH`
    }

// `PLAIN_HTTP_HOST` resolved to 127.0.0.1, as Chromium's `--host-resolver-rules` has it (Firefox
// takes no wildcard, so the subdomain tests, which launch Chromium themselves, stay Chromium's).
// playwright-core's profile already turns off updates, telemetry and first-run pages.
const PREFS = { 'network.dns.localDomains': PLAIN_HTTP_HOST }

/**
 * Launches headless Firefox through `firefox-bidi-relay.ts`, which answers the one command of
 * playwright-core's that Firefox ESR lacks.
 *
 * @example
 * const browser = await launchFirefox('/usr/bin/firefox-esr')
 */
export const launchFirefox = async (path: string): Promise<Browser> => {
    // playwright-core runs one executable: a script that starts the relay under this Bun.
    const folder = mkdtempSync(join(tmpdir(), 'firefox-bidi-'))
    const relay = join(folder, 'firefox')
    writeFileSync(
        relay,
        `#!/bin/sh\nexec '${process.execPath}' '${join(import.meta.dir, 'firefox-bidi-relay.ts')}' "$@"\n`
    )
    chmodSync(relay, 0o700)
    try {
        return await firefox.launch({
            channel: 'moz-firefox',
            executablePath: relay,
            headless: true,
            env: { ...process.env, FIREFOX_BIDI_TARGET: path },
            firefoxUserPrefs: PREFS
        })
    } finally {
        // Run once, the script is no longer needed: removed on the browser's `disconnected`, it stayed
        // in the temp folder whenever a run was killed before the browser closed (a cancelled job).
        rmSync(folder, { recursive: true, force: true })
    }
}

/**
 * A context's pages without their scripts, as `javaScriptEnabled: false` gives them in Chromium:
 * under BiDi, playwright-core ignores that option, and Firefox's `javascript.enabled = false`
 * stops playwright-core's own clicks (they wait for animation frames that never come). The pages'
 * only scripts are the layout's two `<script src>` (the CSP allows no inline one), and none has a
 * `<noscript>`, so a page whose scripts never load is the page a browser without JavaScript shows.
 */
export const withoutScripts = (context: BrowserContext) =>
    context.route(
        (url) => url.pathname.endsWith('.js'),
        (route) => route.abort('blockedbyclient')
    )

// playwright-core's screenshots add `<style>body {}</style>`, which only CDP lets past the page's CSP.
const SCREENSHOT_STYLE_HASH = 'sha256-YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA='

/**
 * Whether an error Firefox reports as the page's is one: an exception, or what the CSP blocked
 * (named `Content-Security-Policy`). Its own notices come the same way, with no name: a cookie it
 * refused, a WebSocket it could not reach, which Chromium only logs.
 */
export const isPagesOwnError = (error: Error) => error.name !== '' && !error.message.includes(SCREENSHOT_STYLE_HASH)
