/** `bun run start` refuses a bad configuration with one clear line and exit code 1. */
import { expect, test } from 'bun:test'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../helpers/server'

const entry = join(import.meta.dir, '../../server/index.ts')
const isRoot = process.getuid?.() === 0
/**
 * Run as an ordinary user: as root (CI), without any capability, so that the system checks
 * file permissions and privileged ports as it does for any user (root still owns its files).
 */
const asOrdinaryUser = isRoot ? ['setpriv', '--bounding-set', '-all', '--'] : []
const NOBODY = 65_534

const start = async (env: Record<string, string>, prefix: string[] = []) => {
    const child = Bun.spawn([...prefix, 'bun', entry], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
        stdout: 'pipe',
        stderr: 'pipe'
    })
    const timer = setTimeout(() => child.kill(), 10_000)
    const code = await child.exited
    clearTimeout(timer)
    return { code, stderr: await new Response(child.stderr).text() }
}

test('production without SESSION_SECRET does not start', async () => {
    const { code, stderr } = await start({ NODE_ENV: 'production' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe('NODE_ENV=production requires SESSION_SECRET: at least 32 random bytes.')
})

test('production with a short SESSION_SECRET does not start', async () => {
    const { code, stderr } = await start({ NODE_ENV: 'production', SESSION_SECRET: 'too-short' })
    expect(code).toBe(1)
    expect(stderr).toContain('shorter than 32 bytes')
})

test('a second copy on the same port does not start; the first serves on', async () => {
    const first = await startServer()
    try {
        const { port } = new URL(first.url)
        // A secret of its own: in development it would make one in this checkout's data/.
        const { code, stderr } = await start({ PORT: port, SESSION_SECRET: 'a-secret-of-at-least-32-bytes-here' })
        expect(code).toBe(1)
        expect(stderr.trim()).toBe(
            `Port ${port} on 127.0.0.1 is in use: is the app already running? Set PORT to another port.`
        )
        expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
    } finally {
        await first.stop()
    }
})

test('a HOST that is not an address of this machine does not start, and says so', async () => {
    // TEST-NET-3 (RFC 5737): documentation only, never a machine's address.
    const { code, stderr } = await start({ HOST: '203.0.113.7', SESSION_SECRET: 'a-secret-of-at-least-32-bytes-here' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
        'HOST=203.0.113.7 is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all of them.'
    )
})

// Below this port, the kernel refuses a user without privileges (a sysctl, 1024 unless changed).
const privilegedBelow = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'))

test.skipIf(privilegedBelow === 0)('a privileged port for an ordinary user does not start, and says so', async () => {
    const port = privilegedBelow - 1
    const { code, stderr } = await start(
        { PORT: String(port), SESSION_SECRET: 'a-secret-of-at-least-32-bytes-here' },
        asOrdinaryUser
    )
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is not allowed to this user (ports below 1024 need privileges): set PORT to 1024 or above, behind a proxy that serves ports 80 and 443.`
    )
})

test('a SQLite file this user cannot write does not start, and the message says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unwritable-'))
    try {
        // A folder this user may read but not write, holding a database file of this user's.
        const folder = join(dir, 'read-only')
        mkdirSync(folder)
        const owned = join(folder, 'owned.db')
        writeFileSync(owned, '')
        chmodSync(folder, 0o555)
        // A file that only another user may read (as root, nobody), in a folder this user may write.
        const unreadable = join(dir, 'private.db')
        writeFileSync(unreadable, '')
        if (isRoot) chownSync(unreadable, NOBODY, NOBODY)
        chmodSync(unreadable, isRoot ? 0o600 : 0o000)
        const unwritableFolder = `this user cannot write its directory ${folder}, where SQLite also keeps the -wal and -shm files`
        for (const [file, reason, problem] of [
            [join(folder, 'new.db'), 'unable to open database file', unwritableFolder],
            [owned, 'attempt to write a readonly database', unwritableFolder],
            [unreadable, 'unable to open database file', 'this user cannot read and write the file']
        ]) {
            const { code, stderr } = await start(
                { SCOPED_STATE_STORE: `sqlite:${file}`, SESSION_SECRET: 'a-secret-of-at-least-32-bytes-here' },
                asOrdinaryUser
            )
            expect(code).toBe(1)
            expect(stderr.trim()).toBe(`SQLite: cannot open ${file}: ${reason} (${problem})`)
        }
    } finally {
        rmSync(dir, { recursive: true, force: true })
    }
})

test('a request body over 64 KiB is refused with 413 before the app reads it', async () => {
    const server = await startServer()
    try {
        const post = (bytes: number) =>
            fetch(`${server.url}/api/increment`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: `x=${'a'.repeat(bytes - 2)}`
            })
        expect((await post(65_536)).status).toBe(200)
        expect((await post(65_537)).status).toBe(413)
    } finally {
        await server.stop()
    }
})

test('an invalid PORT does not start', async () => {
    const { code, stderr } = await start({ PORT: 'eighty' })
    expect(code).toBe(1)
    expect(stderr.trim()).toBe("PORT must be an integer from 0 to 65535, got 'eighty'.")
})
