/** Development's session secret: made once, kept in a file only its owner reads, reused by every later start. */
import { afterAll, expect, spyOn, test } from 'bun:test'
import * as fs from 'node:fs'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { developmentSecret } from '../../server/development-secret'

const dir = mkdtempSync(join(tmpdir(), 'development-secret-'))
const log = spyOn(console, 'log').mockImplementation(() => {})
const warn = spyOn(console, 'warn').mockImplementation(() => {})
afterAll(() => {
    log.mockRestore()
    warn.mockRestore()
    rmSync(dir, { recursive: true, force: true })
})

test('made on first use, in a new folder, readable by its owner only; the same on every later use', () => {
    const absolute = join(dir, 'data', 'development-secret')
    // Given relative, as the app gives it: the message names the file in full.
    const path = relative(process.cwd(), absolute)
    const [secret] = developmentSecret(path) ?? []
    expect(Buffer.byteLength(secret ?? '')).toBeGreaterThanOrEqual(32)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(log.mock.calls).toEqual([
        [`Created ${absolute}: the session secret for development (production needs SESSION_SECRET).`]
    ])
    expect(developmentSecret(path)).toEqual([secret as string])
    expect(log).toHaveBeenCalledTimes(1)
})

test('a secret already in the file is used as it is', () => {
    const path = join(dir, 'given')
    writeFileSync(path, 'a-secret-someone-put-here-of-32-bytes\n')
    expect(developmentSecret(path)).toEqual(['a-secret-someone-put-here-of-32-bytes'])
})

test('a file that can be neither read nor made: a warning, and no secret (the plugin then makes a random one)', () => {
    // A folder where the file should be; a file where a folder should be (permissions bind no root).
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    const underFile = join(file, 'development-secret')
    warn.mockClear()
    expect(developmentSecret(dir)).toBeUndefined()
    expect(developmentSecret(underFile)).toBeUndefined()
    expect(developmentSecret(relative(process.cwd(), underFile))).toBeUndefined()
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        `Cannot keep a development session secret in ${dir} (EISDIR).`,
        `Cannot keep a development session secret in ${underFile} (ENOTDIR).`,
        `Cannot keep a development session secret in ${underFile} (ENOTDIR).`
    ])
})

test('two servers starting at once: the one that finds the file made by the other uses its secret', () => {
    const path = join(dir, 'raced')
    const realRead = fs.readFileSync
    let reads = 0
    // The other server creates the file right after this one's first read found none.
    const read = spyOn(fs, 'readFileSync').mockImplementation(((...args: Parameters<typeof realRead>) => {
        reads++
        return reads === 1 ? realRead(join(dir, 'not-made-yet'), 'utf8') : realRead(...args)
    }) as typeof realRead)
    try {
        writeFileSync(path, 'the-other-servers-secret-of-32-bytes\n')
        expect(developmentSecret(path)).toEqual(['the-other-servers-secret-of-32-bytes'])
        expect(reads).toBe(2)
    } finally {
        read.mockRestore()
    }
    // Made, even if not yet written, the other's file is never overwritten.
    const empty = join(dir, 'being-written')
    writeFileSync(empty, '')
    expect(developmentSecret(empty)).toHaveLength(1)
    expect(fs.readFileSync(empty, 'utf8')).toBe('')
})

test('a file left empty (a first start that could not write it): a secret of its own, and a warning that says so', () => {
    const path = join(dir, 'left-empty')
    writeFileSync(path, '')
    warn.mockClear()
    const [first] = developmentSecret(path) ?? []
    const [second] = developmentSecret(path) ?? []
    // Each start a secret of its own: the sessions of one are not the next one's.
    expect(first).not.toBe(second)
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual(
        Array(2).fill(
            `${path} is empty: this start uses a secret of its own, and sessions will not survive a restart. Delete the file if it stays empty.`
        )
    )
})
