/**
 * The system Chromium (Debian package `chromium`) or Google Chrome, driven by playwright-core.
 * No browser is downloaded: the tests use what the machine has, or skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix, win32 } from 'node:path'
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core'

const NAMES = ['chromium', 'chromium-browser', 'google-chrome']

type Env = Record<string, string | undefined>

/**
 * Where the browser is installed off the PATH, as an app (macOS) or by Chrome's installer
 * (Windows: for all users or one, where Playwright looks for its `chrome` channel too).
 */
const installed = (platform: NodeJS.Platform, env: Env): string[] => {
    if (platform === 'darwin') {
        const folders = ['/Applications', ...(env.HOME ? [posix.join(env.HOME, 'Applications')] : [])]
        const apps = ['Google Chrome.app/Contents/MacOS/Google Chrome', 'Chromium.app/Contents/MacOS/Chromium']
        return folders.flatMap((folder) => apps.map((app) => posix.join(folder, app)))
    }
    if (platform === 'win32')
        return [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']]
            .filter((folder) => folder !== undefined && folder !== '')
            .map((folder) => win32.join(folder as string, 'Google', 'Chrome', 'Application', 'chrome.exe'))
    return []
}

/** What to install, said where the tests skip. */
const INSTALL: Partial<Record<NodeJS.Platform, string>> = {
    darwin: 'install Google Chrome (brew install --cask google-chrome)',
    win32: 'install Google Chrome'
}
const INSTALL_ELSEWHERE = 'install Chromium (Debian: apt-get install chromium)'

/** A host name Chromium resolves to the test server's 127.0.0.1 but, unlike `localhost`, treats as insecure over http. */
export const PLAIN_HTTP_HOST = 'plain-http.test'

/** A parent domain whose every subdomain Chromium resolves to 127.0.0.1: sibling hosts of one site. */
export const SITE_DOMAIN = 'example.test'

// Headless and quiet: no GPU, no update checks or sync traffic, no first-run UI.
// `--no-sandbox` because CI containers run as root, where the sandbox refuses to start.
// `PLAIN_HTTP_HOST` reaches the test server under a name that is not local, as a LAN address does;
// the hosts under `SITE_DOMAIN` reach it as subdomains of one site.
const ARGS = [
    `--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1, MAP *.${SITE_DOMAIN} 127.0.0.1`,
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run'
]

/** Where a browser was found, or why not. */
export type BrowserLookup = { path: string } | { missing: string }

/**
 * A browser named by env `variable` (its path, which must exist), else the first of `names` on
 * the PATH; `undefined` when neither names one, for the caller to look further or say what is missing.
 */
export const onPathOrNamed = (
    variable: string,
    names: string[],
    env: Env,
    exists: (path: string) => boolean
): BrowserLookup | undefined => {
    const override = env[variable]
    if (override) return exists(override) ? { path: override } : { missing: `${variable}=${override} not found` }
    for (const name of names) {
        const path = Bun.which(name, { PATH: env.PATH ?? '' })
        if (path) return { path }
    }
    return undefined
}

/**
 * Finds Chromium: env `CHROMIUM_PATH` if set, else the first of chromium, chromium-browser,
 * google-chrome on the PATH, else Google Chrome or Chromium where macOS and Windows install it.
 *
 * @example
 * const lookup = findChromium()
 * if ('missing' in lookup) console.warn(lookup.missing)
 */
export const findChromium = (
    env: Env = process.env,
    platform: NodeJS.Platform = process.platform,
    exists: (path: string) => boolean = existsSync
): BrowserLookup => {
    const found = onPathOrNamed('CHROMIUM_PATH', NAMES, env, exists)
    if (found) return found
    const places = installed(platform, env)
    const path = places.find(exists)
    if (path) return { path }
    const elsewhere = places.length > 0 ? ` nor at ${places.join(', ')}` : ''
    return {
        missing: `no Chromium on the PATH (${NAMES.join(', ')})${elsewhere}: ${INSTALL[platform] ?? INSTALL_ELSEWHERE}, or set CHROMIUM_PATH`
    }
}

/**
 * What Playwright passes Chromium by default and users' browsers do not do: it turns the
 * back-forward cache off, which Back and Forward restore pages from (a page kept whole, whatever
 * its `Vary`: private-copy.test.ts).
 */
const NOT_AS_USERS_HAVE_IT = ['--disable-back-forward-cache']

/**
 * Launches headless Chromium. Playwright gives the browser a fresh temporary profile, and
 * each `browser.newContext()` has its own cookies: one context per simulated user.
 *
 * @example
 * const browser = await launchChromium('/usr/bin/chromium')
 * const alice = await browser.newContext()
 */
export const launchChromium = (executablePath: string): Promise<Browser> =>
    chromium.launch({ executablePath, headless: true, args: ARGS, ignoreDefaultArgs: NOT_AS_USERS_HAVE_IT })

/**
 * Launches headless Chromium on a profile of its own whose settings block every site's cookies
 * (Settings, Privacy, "Block all cookies"), as a user who blocks them has it. One context:
 * `close()` ends that browser, then deletes the profile. The context's `close` event comes
 * before Chromium has exited, and Chromium writes its profile as it exits: a profile deleted
 * then was left in the temp folder by every run.
 *
 * @example
 * const { context, close } = await launchWithCookiesBlocked('/usr/bin/chromium', { baseURL })
 */
export const launchWithCookiesBlocked = async (
    executablePath: string,
    options: BrowserContextOptions
): Promise<{ context: BrowserContext; close: () => Promise<void> }> => {
    const profile = mkdtempSync(join(tmpdir(), 'cookies-blocked-'))
    mkdirSync(join(profile, 'Default'))
    // 2: block, the content setting chrome://settings/cookies writes.
    const blocked = { profile: { default_content_setting_values: { cookies: 2 } } }
    writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify(blocked))
    try {
        const context = await chromium.launchPersistentContext(profile, {
            executablePath,
            headless: true,
            args: ARGS,
            ignoreDefaultArgs: NOT_AS_USERS_HAVE_IT,
            ...options
        })
        const close = async () => {
            await context.close()
            rmSync(profile, { recursive: true, force: true })
        }
        return { context, close }
    } catch (error) {
        rmSync(profile, { recursive: true, force: true })
        throw error
    }
}
