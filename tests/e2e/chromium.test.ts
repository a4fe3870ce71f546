/** The browser tests find Chrome or Chromium where each system puts it, and say what to install when they skip. */
import { afterAll, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findChromium } from './chromium'

const MAC_CHROME = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'
const WINDOWS_USER_CHROME = 'C:\\Users\\ada\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe'
const WINDOWS = {
    LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local',
    PROGRAMFILES: 'C:\\Program Files',
    'PROGRAMFILES(X86)': 'C:\\Program Files (x86)'
}

/** `findChromium` on a machine where only `files` exist and nothing is on the PATH. */
const lookup = (platform: NodeJS.Platform, files: string[], env: Record<string, string> = {}) =>
    findChromium({ PATH: '', ...env }, platform, (path) => files.includes(path))

const bin = mkdtempSync(join(tmpdir(), 'chromium-path-'))
afterAll(() => rmSync(bin, { recursive: true, force: true }))

test('macOS: Google Chrome or Chromium as an app, in /Applications or ~/Applications', () => {
    expect(lookup('darwin', [MAC_CHROME])).toEqual({ path: MAC_CHROME })
    const ownChromium = '/Users/ada/Applications/Chromium.app/Contents/MacOS/Chromium'
    expect(lookup('darwin', [ownChromium], { HOME: '/Users/ada' })).toEqual({ path: ownChromium })
})

test("Windows: Chrome installed for all users or for this one, where Chrome's installer puts it", () => {
    expect(lookup('win32', [WINDOWS_USER_CHROME], WINDOWS)).toEqual({ path: WINDOWS_USER_CHROME })
    const machineChrome = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
    expect(lookup('win32', [machineChrome], WINDOWS)).toEqual({ path: machineChrome })
})

test('a browser on the PATH comes first, and CHROMIUM_PATH before it', () => {
    const onPath = join(bin, 'google-chrome')
    writeFileSync(onPath, '')
    chmodSync(onPath, 0o755)
    expect(lookup('darwin', [MAC_CHROME], { PATH: bin })).toEqual({ path: onPath })
    expect(lookup('darwin', [MAC_CHROME, '/opt/chrome'], { PATH: bin, CHROMIUM_PATH: '/opt/chrome' })).toEqual({
        path: '/opt/chrome'
    })
    expect(lookup('linux', [], { CHROMIUM_PATH: '/opt/chrome' })).toEqual({
        missing: 'CHROMIUM_PATH=/opt/chrome not found'
    })
})

test('without one, the reason says where it looked and what to install', () => {
    expect(lookup('linux', [])).toEqual({
        missing:
            'no Chromium on the PATH (chromium, chromium-browser, google-chrome): install Chromium (Debian: apt-get install chromium), or set CHROMIUM_PATH'
    })
    expect(lookup('darwin', [])).toEqual({
        missing: `no Chromium on the PATH (chromium, chromium-browser, google-chrome) nor at ${MAC_CHROME}, /Applications/Chromium.app/Contents/MacOS/Chromium: install Google Chrome (brew install --cask google-chrome), or set CHROMIUM_PATH`
    })
    expect(lookup('win32', [], WINDOWS)).toEqual({
        missing: expect.stringContaining(`nor at ${WINDOWS_USER_CHROME}, `)
    })
})
