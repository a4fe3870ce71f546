/** The opt-in Firefox runs (`E2E_BROWSER=firefox`) find Firefox ESR, tell its own notices from the page's errors, and leave no relay script behind. */
import { afterAll, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findFirefox, isPagesOwnError, launchFirefox } from './firefox'

const bin = mkdtempSync(join(tmpdir(), 'firefox-path-'))
afterAll(() => rmSync(bin, { recursive: true, force: true }))

const onPath = (name: string) => {
    const path = join(bin, name)
    writeFileSync(path, '')
    chmodSync(path, 0o755)
    return path
}

test('firefox-esr on the PATH comes before firefox, and FIREFOX_PATH before both', () => {
    const plain = onPath('firefox')
    expect(findFirefox({ PATH: bin })).toEqual({ path: plain })
    const esr = onPath('firefox-esr')
    expect(findFirefox({ PATH: bin })).toEqual({ path: esr })
    expect(
        findFirefox({ PATH: bin, FIREFOX_PATH: '/opt/firefox/firefox' }, (path) => path === '/opt/firefox/firefox')
    ).toEqual({
        path: '/opt/firefox/firefox'
    })
})

test('without Firefox, says what to install; a FIREFOX_PATH that is not there is named', () => {
    expect(findFirefox({ PATH: '' })).toEqual({ missing: expect.stringContaining('apt-get install firefox-esr') })
    expect(findFirefox({ PATH: bin, FIREFOX_PATH: '/nowhere/firefox' }, () => false)).toEqual({
        missing: 'FIREFOX_PATH=/nowhere/firefox not found'
    })
})

test("a script's exception and a CSP refusal are the page's errors; Firefox's own notices are not", () => {
    expect(isPagesOwnError(new TypeError('boom'))).toBe(true)
    const refusal = (hash: string) =>
        Object.assign(
            new Error(
                `The page’s settings blocked an inline style (style-src-elem). Consider using a hash ('${hash}')`
            ),
            {
                name: 'Content-Security-Policy'
            }
        )
    expect(isPagesOwnError(refusal('sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='))).toBe(true)
    // playwright-core's own `<style>body {}</style>`, added for a screenshot.
    expect(isPagesOwnError(refusal('sha256-YjaKGiklmzC6wjXA513HAMmzus8VE61XCOT+SmwNZWA='))).toBe(false)
    const notice = Object.assign(new Error('Cookie “__Host-session” has been rejected for invalid prefix.'), {
        name: ''
    })
    expect(isPagesOwnError(notice)).toBe(false)
})

const firefox = findFirefox()

test.skipIf('missing' in firefox && process.env.REQUIRE_SERVICES !== '1')(
    'a launched Firefox leaves no folder of its relay in the temp folder, even before it closes',
    async () => {
        if ('missing' in firefox) throw new Error(firefox.missing)
        const temp = mkdtempSync(join(tmpdir(), 'firefox-launch-'))
        const before = process.env.TMPDIR
        process.env.TMPDIR = temp
        try {
            const browser = await launchFirefox(firefox.path)
            // A run killed now (a cancelled job) never closes the browser.
            const left = readdirSync(temp).filter((name) => name.startsWith('firefox-bidi-'))
            await browser.close()
            expect(left).toEqual([])
        } finally {
            if (before === undefined) delete process.env.TMPDIR
            else process.env.TMPDIR = before
            rmSync(temp, { recursive: true, force: true })
        }
    },
    60_000
)
