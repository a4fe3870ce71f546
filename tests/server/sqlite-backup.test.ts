/**
 * docs/stores.md's backup and restore of a SQLite store, on the real server: `VACUUM INTO` while
 * the app saves, and the restore (the app stopped, the copy in place, started again); and why
 * `cp state.db` is no backup, of a running app or of one killed with its `-wal` left, nor a copy
 * written onto the live file a restore.
 */
import { Database } from 'bun:sqlite'
import { expect, test } from 'bun:test'
import { chmodSync, copyFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { client, HTMX_FORM, NAVIGATE, overHttp } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { type RunningServer, serversWithFolder } from '../helpers/server'

const { dir, start } = serversWithFolder('scoped-state-backup-')

const startOn = (path: string, secret = SECRET) =>
    start({ env: { NODE_ENV: 'test', SESSION_SECRET: secret, SCOPED_STATE_STORE: `sqlite:${path}` } })
const userOf = (server: RunningServer, cookie = '') => client(overHttp(Number(new URL(server.url).port)), cookie)
type User = ReturnType<typeof userOf>

const increment = async (user: User) => {
    const response = await user.post('/api/increment')
    expect(response.status).toBe(200)
}
const countOf = async (user: User) => Number(/>(-?\d+)</.exec(await user.text('/api/count'))?.[1])
const signedInAs = async (user: User) =>
    /Signed in as <strong><bdi>(.*?)<\/bdi><\/strong>/.exec(await user.text('/account', NAVIGATE))?.[1]

/** `VACUUM INTO` run by a process of its own, as `sqlite3 state.db "VACUUM INTO 'copy.db'"` or a cron job is. */
const vacuumInto = async (from: string, to: string) => {
    const code = `new (require('bun:sqlite').Database)(process.env.FROM).run('VACUUM INTO ?', [process.env.TO])`
    const copying = Bun.spawn([process.execPath, '-e', code], { env: { FROM: from, TO: to }, stderr: 'pipe' })
    expect({ code: await copying.exited, stderr: await new Response(copying.stderr).text() }).toEqual({
        code: 0,
        stderr: ''
    })
}

/** The counter of each session a file holds, read from the file alone (no `-wal` is beside a copy). */
const countsIn = (file: string) => {
    const db = new Database(file)
    try {
        const hasTable = db.query("SELECT 1 FROM sqlite_master WHERE name = 'scoped_state'").get()
        const rows = hasTable ? (db.query('SELECT record FROM scoped_state').all() as { record: string }[]) : []
        return rows.map(({ record }) => Number(JSON.parse(record).p?._?.count ?? 0))
    } finally {
        db.close()
    }
}
const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0)

test('VACUUM INTO while the app saves copies every session answered before it; restored, each cookie gets its own', async () => {
    const path = join(dir, 'state.db')
    const app = await startOn(path)
    const users = Array.from({ length: 6 }, () => userOf(app))
    const answered = users.map(() => 0)
    for (const [nth, user] of users.entries())
        for (let i = 0; i <= nth; i++) {
            await increment(user)
            answered[nth] = (answered[nth] ?? 0) + 1
        }
    const signedOutSince = userOf(app)
    await signedOutSince.post('/account/sign-in', HTMX_FORM, 'name=Ada')
    const keptCookie = signedOutSince.cookie

    // Its saves are in state.db-wal until a checkpoint: the main file copied alone lacks them.
    copyFileSync(path, join(dir, 'cp.db'))
    expect(sum(countsIn(join(dir, 'cp.db')))).toBeLessThan(sum(answered))

    let copying = true
    const writers = users.map(async (user, nth) => {
        while (copying) {
            await increment(user)
            answered[nth] = (answered[nth] ?? 0) + 1
        }
    })
    const beforeCopy = [...answered]
    await vacuumInto(path, join(dir, 'copy.db'))
    const afterCopy = [...answered]
    copying = false
    await Promise.all(writers)
    // The copy was made while the app saved, not between its saves.
    expect(afterCopy).not.toEqual(beforeCopy)

    await signedOutSince.post('/account/sign-out', HTMX_FORM)
    expect(await signedInAs(userOf(app, keptCookie))).toBeUndefined()

    await app.stop()
    rmSync(`${path}-wal`, { force: true })
    rmSync(`${path}-shm`, { force: true })
    renameSync(join(dir, 'copy.db'), path)
    chmodSync(path, 0o600)
    const restored = await startOn(path)
    for (const [nth, user] of users.entries()) {
        const count = await countOf(userOf(restored, user.cookie))
        expect(count).toBeGreaterThanOrEqual(beforeCopy[nth] ?? 0)
        expect(count).toBeLessThanOrEqual(afterCopy[nth] ?? 0)
    }
    // As the copy has it: the sign-out made since is undone for whoever kept the cookie.
    expect(await signedInAs(userOf(restored, keptCookie))).toBe('Ada')
    await restored.stop()

    // A new SESSION_SECRET signs every user out, that one included.
    const newSecret = await startOn(path, crypto.getRandomValues(Buffer.alloc(32)).toString('base64url'))
    expect(await signedInAs(userOf(newSecret, keptCookie))).toBeUndefined()
    expect(await countOf(userOf(newSecret, users[5]?.cookie))).toBe(0)
}, 60_000)

test('an app killed with its -wal left: the file alone lacks saves, VACUUM INTO (which reads the -wal) has each', async () => {
    const path = join(dir, 'killed.db')
    const app = await startOn(path)
    const users = Array.from({ length: 4 }, () => userOf(app))
    for (const [nth, user] of users.entries()) for (let i = 0; i <= nth; i++) await increment(user)
    app.child.kill('SIGKILL')
    await app.child.exited

    copyFileSync(path, join(dir, 'killed-cp.db'))
    expect(sum(countsIn(join(dir, 'killed-cp.db')))).toBeLessThan(1 + 2 + 3 + 4)
    await vacuumInto(path, join(dir, 'killed-copy.db'))
    expect(countsIn(join(dir, 'killed-copy.db')).toSorted((a, b) => a - b)).toEqual([1, 2, 3, 4])
}, 30_000)

test('a copy written onto the live file (cp copy.db state.db) is no restore: the store lays its -wal over it', async () => {
    const path = join(dir, 'live.db')
    const app = await startOn(path)
    const user = userOf(app)
    for (let i = 0; i < 3; i++) await increment(user)
    await vacuumInto(path, join(dir, 'live-copy.db'))
    for (let i = 0; i < 3; i++) await increment(user)
    copyFileSync(join(dir, 'live-copy.db'), path)
    expect(await countOf(user)).toBe(6)
}, 30_000)
