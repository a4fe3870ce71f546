/**
 * The system Chromium (Debian package `chromium`), driven by playwright-core. No browser
 * is downloaded: the tests use what the machine has, or skip.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

const NAMES = ['chromium', 'chromium-browser', 'google-chrome']

/** A host name Chromium resolves to the test server's 127.0.0.1 but, unlike `localhost`, treats as insecure over http. */
export const PLAIN_HTTP_HOST = 'plain-http.test'

// Headless and quiet: no GPU, no update checks or sync traffic, no first-run UI.
// `--no-sandbox` because CI containers run as root, where the sandbox refuses to start.
// `PLAIN_HTTP_HOST` reaches the test server under a name that is not local, as a LAN address does.
const ARGS = [
    `--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run'
]

export type ChromiumLookup = { path: string } | { missing: string }

/**
 * Finds Chromium: env `CHROMIUM_PATH` if set, else the first of chromium, chromium-browser,
 * google-chrome on the PATH.
 *
 * @example
 * const lookup = findChromium()
 * if ('missing' in lookup) console.warn(lookup.missing)
 */
export const findChromium = (env: Record<string, string | undefined> = process.env): ChromiumLookup => {
    const override = env.CHROMIUM_PATH
    if (override) return existsSync(override) ? { path: override } : { missing: `CHROMIUM_PATH=${override} not found` }
    for (const name of NAMES) {
        const path = Bun.which(name)
        if (path) return { path }
    }
    return { missing: `no Chromium on the PATH (${NAMES.join(', ')}); set CHROMIUM_PATH` }
}

/**
 * Launches headless Chromium. Playwright gives the browser a fresh temporary profile, and
 * each `browser.newContext()` has its own cookies: one context per simulated user.
 *
 * @example
 * const browser = await launchChromium('/usr/bin/chromium')
 * const alice = await browser.newContext()
 */
export const launchChromium = (executablePath: string): Promise<Browser> =>
    chromium.launch({ executablePath, headless: true, args: ARGS })
