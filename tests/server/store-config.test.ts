/** `SCOPED_STATE_STORE` picks the store; a wrong value stops startup with a message naming it. */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../bench/ports'
import { ConfigError, readConfig } from '../../server/config'
import { openStore, storeLabel } from '../../server/store'
import { startServer } from '../helpers/server'

const dir = mkdtempSync(join(tmpdir(), 'scoped-state-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const storeOf = (value: string | undefined) => readConfig({ SCOPED_STATE_STORE: value }).store

describe('SCOPED_STATE_STORE', () => {
    test('defaults to memory', () => {
        expect(storeOf(undefined)).toEqual({ kind: 'memory' })
        expect(storeOf('')).toEqual({ kind: 'memory' })
        expect(storeOf('memory')).toEqual({ kind: 'memory' })
    })

    test('sqlite:<path> names a file', () => {
        expect(storeOf('sqlite:./data/state.db')).toEqual({ kind: 'sqlite', path: './data/state.db' })
        expect(storeOf('sqlite:/var/lib/app/state.db')).toEqual({ kind: 'sqlite', path: '/var/lib/app/state.db' })
    })

    test.each([
        [
            'sqlite:~/state.db',
            "SCOPED_STATE_STORE: only a shell reads '~' as the home directory, got 'sqlite:~/state.db': write the full path."
        ],
        [
            'sqlite:file:/var/lib/app/state.db?mode=ro',
            "SCOPED_STATE_STORE: 'sqlite:' takes a file path, not a URI, got 'sqlite:file:/var/lib/app/state.db?mode=ro'."
        ]
    ])('%p, a path that would name another file, is refused', (value, message) => {
        expect(() => storeOf(value)).toThrow(ConfigError)
        expect(() => storeOf(value)).toThrow(message)
    })

    test('redis:// and rediss:// URLs name a server', () => {
        for (const url of ['redis://127.0.0.1:6379', 'redis://cache:6380/2', 'rediss://user:pw@cache.example:6379'])
            expect(storeOf(url)).toEqual({ kind: 'redis', url })
    })

    test.each(['Memory', 'sqlite:', 'sqlite', 'redis://', 'http://cache:6379', 'postgres://db', './state.db'])(
        '%p is refused with a message naming the variable',
        (value) => {
            expect(() => storeOf(value)).toThrow(ConfigError)
            expect(() => storeOf(value)).toThrow(/^SCOPED_STATE_STORE must be .*, got '.*'\.$/)
        }
    )

    test.each([
        ['redis://:Zm9v/YmFy+c2VjcmV0@10.0.0.5:6379', "'redis://…@10.0.0.5:6379' (percent-encode"],
        ['redis://app:p#ssW0rd@cache:6379', "'redis://…@cache:6379' (percent-encode"],
        ['redis://app:6379#hunter2@cache', "'redis://…@cache' (percent-encode"],
        ['redis://app:hunter2@cache:99999', "'redis://…@cache:99999'."],
        ['valkey://app:hunter2@cache:6379', "'valkey://…@cache:6379'."],
        // Quotes kept from an env file, a stray space, a slash missing, no scheme.
        ['"redis://app:hunter2@cache:6379"', `'"redis://…@cache:6379"'.`],
        [' redis://app:hunter2@cache:6379', "' redis://…@cache:6379'."],
        ['redis:/app:hunter2@cache:6379', "'…@cache:6379'"],
        ['app:hunter2@cache:6379', "'…@cache:6379'."]
    ])('a refused %p is named without its password', (value, named) => {
        let message = ''
        try {
            storeOf(value)
        } catch (error) {
            message = (error as Error).message
        }
        expect(message).toStartWith('SCOPED_STATE_STORE must be ')
        expect(message).toContain(`got ${named}`)
        expect(message).not.toMatch(/Zm9v|YmFy|ssW0rd|hunter2/)
    })

    test('the startup line names the store, a Redis URL without its credentials', () => {
        expect(storeLabel(storeOf(undefined))).toBe('memory')
        expect(storeLabel(storeOf('sqlite:./data/state.db'))).toBe('sqlite:./data/state.db')
        expect(storeLabel(storeOf('rediss://user:secret@cache.example:6380/2'))).toBe('rediss://cache.example:6380/2')
        expect(storeLabel(storeOf('redis://:secret@127.0.0.1:6379'))).toBe('redis://127.0.0.1:6379')
        expect(storeLabel(storeOf('redis://127.0.0.1:6379/0?password=secret'))).toBe('redis://127.0.0.1:6379/0')
        expect(storeLabel({ kind: 'redis', url: 'redis://127.0.0.1:6379/0#secret' })).toBe('redis://127.0.0.1:6379/0')
    })

    test('openStore of memory tells of each session it evicts past its 100 000', () => {
        let evicted = 0
        const store = openStore({ kind: 'memory' }, () => evicted++)
        for (let i = 0; i < 100_003; i++) store.save(`s${i}`, '{}', 60_000)
        expect(evicted).toBe(3)
        store.close()
    })

    test('openStore of a Redis URL talks to that server (none listens here: stats fail)', async () => {
        const store = openStore({ kind: 'redis', url: `redis://127.0.0.1:${await freePort()}` })
        try {
            await expect(Promise.resolve().then(() => store.stats())).rejects.toThrow('Session store unavailable')
        } finally {
            await store.close()
        }
    })

    test('openStore creates the SQLite file’s directory', () => {
        const path = join(dir, 'nested', 'deeper', 'state.db')
        const store = openStore({ kind: 'sqlite', path })
        store.save('a', '{}', 60_000)
        store.close()
        expect(existsSync(path)).toBe(true)
    })

    test.each([
        ['mongodb://db', "SCOPED_STATE_STORE must be 'memory'"],
        // Its directory cannot be made: a file stands where it would go.
        [
            `sqlite:${join(dir, 'a-file', 'state.db')}`,
            `SCOPED_STATE_STORE: cannot create the directory of ${join(dir, 'a-file', 'state.db')}: `
        ],
        // A file SQLite cannot open: the message names the variable, as the others do.
        [`sqlite:${join(dir, 'a-file')}`, `SCOPED_STATE_STORE: sqliteStore: cannot open ${join(dir, 'a-file')}: `]
    ])('%p stops `bun server/index.ts` with exit code 1 and a message, no stack trace', async (value, message) => {
        writeFileSync(join(dir, 'a-file'), 'not a database, only text. '.repeat(100))
        const child = Bun.spawn([process.execPath, join(import.meta.dir, '../../server/index.ts')], {
            env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SCOPED_STATE_STORE: value },
            stdout: 'pipe',
            stderr: 'pipe'
        })
        expect(await child.exited).toBe(1)
        const stderr = await new Response(child.stderr).text()
        expect(stderr).toStartWith(message)
        expect(stderr.trim().split('\n')).toHaveLength(1)
    })
})

test('a store that does not answer at startup is said then, and the app serves what needs no store', async () => {
    const server = await startServer({ env: { SCOPED_STATE_STORE: `redis://127.0.0.1:${await freePort()}` } })
    try {
        for (let tries = 0; tries < 100 && !server.output().includes('does not answer'); tries++) await Bun.sleep(50)
        expect(server.output()).toContain('The session store does not answer yet (')
        expect((await fetch(`${server.url}/public/favicon.svg`)).status).toBe(200)
        // A change, which the store must take.
        expect((await fetch(`${server.url}/api/increment`, { method: 'POST' })).status).toBe(503)
    } finally {
        await server.stop()
    }
})
