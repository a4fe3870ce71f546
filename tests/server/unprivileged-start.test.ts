/**
 * What the system refuses an ordinary user as the app starts (a privileged port, a SQLite file
 * it may not write), and the one line that then says why. Run as root, the app is started
 * without capabilities (`asOrdinaryUser`), so that these refusals happen there too.
 */
import { expect, test } from 'bun:test'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asOrdinaryUser, sysctl } from '../helpers/ordinary-user'
import { startApp } from '../helpers/start-app'

const ordinaryUser = asOrdinaryUser()
const NOBODY = 65_534

// Below this port the kernel refuses a user without privileges: 1024 unless changed (containers often set 0).
const privilegedBelow = Number(sysctl('net/ipv4/ip_unprivileged_port_start') ?? 0)
const portTest = 'a privileged port does not start, and the message says what to do'

// At 1, the only port below is 0, which asks for any free port.
test.skipIf(privilegedBelow <= 1)(
    privilegedBelow <= 1 ? `${portTest} (skipped: here every user may listen on every port)` : portTest,
    async () => {
        const port = privilegedBelow - 1
        const { code, stderr } = await startApp({ PORT: String(port) }, ordinaryUser)
        expect(code).toBe(1)
        expect(stderr.trim()).toBe(
            `This user may not listen on port ${port}: ports below ${privilegedBelow} need privileges. Set PORT to ${privilegedBelow} or above, behind a proxy that serves ports 80 and 443.`
        )
    }
)

/** Runs `use` in a new temporary folder, then removes it, with its `read-only` folder if made. */
const inTemporaryFolder = async (use: (dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'unprivileged-start-'))
    try {
        await use(dir)
    } finally {
        // Writable again, or its files could not be removed.
        if (existsSync(join(dir, 'read-only'))) chmodSync(join(dir, 'read-only'), 0o755)
        rmSync(dir, { recursive: true, force: true })
    }
}

/** Starts the app on the SQLite file `path`; returns what it printed, expecting it to refuse. */
const refusedStore = async (path: string, prefix = ordinaryUser) => {
    const { code, stderr } = await startApp({ SCOPED_STATE_STORE: `sqlite:${path}` }, prefix)
    expect(code).toBe(1)
    return stderr.trim()
}

test('a SQLite file this user may not create, read or write does not start, and the message says which', () =>
    inTemporaryFolder(async (dir) => {
        // A folder this user may read but not write, holding a database file of this user's.
        const folder = join(dir, 'read-only')
        mkdirSync(folder)
        const inFolder = join(folder, 'owned.db')
        writeFileSync(inFolder, '')
        const notDatabase = join(folder, 'text.db')
        writeFileSync(notDatabase, 'not a database, only text. '.repeat(100))
        chmodSync(folder, 0o555)
        // Files in a folder this user may write: one only another user may read, one nobody may write.
        const others = join(dir, 'others.db')
        writeFileSync(others, '')
        if (ordinaryUser.length > 0) chownSync(others, NOBODY, NOBODY)
        chmodSync(others, ordinaryUser.length > 0 ? 0o600 : 0o000)
        const readOnly = join(dir, 'read-only.db')
        writeFileSync(readOnly, '')
        chmodSync(readOnly, 0o444)

        const folderProblem = `this user cannot write its directory ${folder}, where SQLite also keeps the -wal and -shm files`
        const newFile = join(folder, 'new.db')
        expect(await refusedStore(newFile)).toBe(
            `SCOPED_STATE_STORE: sqliteStore: cannot open ${newFile}: unable to open database file (${folderProblem})`
        )
        expect(await refusedStore(inFolder)).toBe(
            `SCOPED_STATE_STORE: sqliteStore: cannot open ${inFolder}: attempt to write a readonly database (${folderProblem})`
        )
        // SQLite's other errors come as they are: a folder's permissions are not their cause.
        expect(await refusedStore(notDatabase)).toBe(
            `SCOPED_STATE_STORE: sqliteStore: cannot open ${notDatabase}: file is not a database`
        )
        expect(await refusedStore(others)).toBe(
            `SCOPED_STATE_STORE: sqliteStore: cannot open ${others}: unable to open database file (this user cannot read the file)`
        )
        expect(await refusedStore(readOnly)).toBe(
            `SCOPED_STATE_STORE: sqliteStore: cannot open ${readOnly}: attempt to write a readonly database (this user cannot write the file)`
        )
    }))

/** Mounts an empty read-only file system on the command's first argument, in namespaces of its own. */
const READ_ONLY_MOUNT = [
    'unshare',
    '--user',
    '--map-root-user',
    '--mount',
    '--',
    'sh',
    '-c',
    'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"'
]
// Where there is no `unshare` (macOS, a container without util-linux), spawning it would throw.
const canMount = Bun.which('unshare') !== null && Bun.spawnSync([...READ_ONLY_MOUNT, tmpdir(), 'true']).exitCode === 0
const readOnlyTest = 'a SQLite file on a read-only file system does not start, and the message says so'

test.skipIf(!canMount)(
    canMount ? readOnlyTest : `${readOnlyTest} (skipped: no unshare, or no user and mount namespaces here)`,
    () =>
        inTemporaryFolder(async (dir) => {
            mkdirSync(join(dir, 'read-only'))
            const file = join(dir, 'read-only', 'state.db')
            expect(await refusedStore(file, [...READ_ONLY_MOUNT, join(dir, 'read-only')])).toBe(
                `SCOPED_STATE_STORE: sqliteStore: cannot open ${file}: unable to open database file (its directory ${join(dir, 'read-only')} is on a read-only file system)`
            )
        })
)
