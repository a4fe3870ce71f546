/** The SQLite store: the shared contract, then what only a file on disk has to prove. */
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, spyOn, test } from 'bun:test'
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import {
    endedAgo,
    SessionEndedError,
    type Store,
    type StoreStats,
    StoreUnavailableError,
    sqliteStore
} from '../../../plugins/scoped-state'
import { client, sessionIdOf } from '../../helpers/client'
import { manualClock, slowIncrementApp, stateApp } from '../../helpers/plugin-app'
import { storeContract } from './contract'

const dir = mkdtempSync(join(tmpdir(), 'scoped-state-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const newPath = () => join(dir, `state-${++files}.db`)
/** In seconds, as `manualClock` counts. */
const HOUR = 3_600
const DAY = 24 * HOUR

storeContract('sqlite', { create: () => sqliteStore({ path: newPath() }), peek: true, atomically: true })
storeContract('sqlite, exclusive', { create: () => sqliteStore({ path: newPath(), exclusive: true }), peek: true })

/**
 * SQLite's wait for a file another connection holds, in the tests that hold one: long enough
 * that a failure "at once" (under half of it) cannot be mistaken for one that waited, even on
 * a machine so busy that the test stalls for a few hundred milliseconds.
 */
const BUSY_TIMEOUT = 2_000
const WAITED = BUSY_TIMEOUT * 0.9
const AT_ONCE = BUSY_TIMEOUT / 2
/** For the tests that wait BUSY_TIMEOUT twice: over bun's default 5 s when run as `bun test <file>` on a busy machine. */
const TWO_WAITS = 15_000
/**
 * For a test that only checks that writes waited, with no failure "at once" to tell apart: a
 * busy machine can only make a wait longer, so a short one is told from none as surely.
 */
const SHORT_BUSY_TIMEOUT = 300

/** How long a save took to fail with 503: `busyTimeout` while writes wait for a held file, else at once. */
const timedFailingSave = (store: Store) => {
    const started = performance.now()
    expect(() => store.save('a', '{}', 60_000)).toThrow(expect.objectContaining({ status: 503 }))
    return performance.now() - started
}

/** With the file held by `writer`'s transaction, a save fails with 503 after waiting `busyTimeout` (the store's). */
const expectSaveToWait = (store: Store, writer: Database, busyTimeout = BUSY_TIMEOUT) => {
    writer.run('BEGIN IMMEDIATE')
    expect(timedFailingSave(store)).toBeGreaterThanOrEqual(busyTimeout * 0.9)
    writer.run('ROLLBACK')
}

/** The first output of a child process, which it prints once it holds what the test needs held. */
const firstLine = async (child: Bun.Subprocess<'ignore', 'pipe'>) =>
    new TextDecoder().decode((await child.stdout.getReader().read()).value)

/** The lines a child process prints, one per `next()`, as they come. */
const linesOf = (child: { stdout: ReadableStream<Uint8Array> }) => {
    const reader = child.stdout.getReader()
    const decoder = new TextDecoder()
    let buffered = ''
    return {
        async next() {
            while (!buffered.includes('\n')) {
                const { value, done } = await reader.read()
                if (done) throw new Error(`the process ended before a whole line: ${JSON.stringify(buffered)}`)
                buffered += decoder.decode(value, { stream: true })
            }
            const end = buffered.indexOf('\n')
            const line = buffered.slice(0, end)
            buffered = buffered.slice(end + 1)
            return line
        }
    }
}

/**
 * Reads the file the way another process would (a sqlite3 shell, a backup tool), even while
 * a store has it open; a store with `exclusive` must be closed first.
 */
const inspect = <T>(path: string, sql: string) => {
    const db = new Database(path, { readonly: true })
    try {
        return db.query(sql).get() as T
    } finally {
        db.close()
    }
}

describe('sqlite store', () => {
    test('creates its file and schema on first use, in WAL mode with incremental vacuum', () => {
        const path = newPath()
        const store = sqliteStore({ path })
        store.save('a', '{}', 60_000)
        expect(inspect<{ journal_mode: string }>(path, 'PRAGMA journal_mode').journal_mode).toBe('wal')
        expect(inspect<{ auto_vacuum: number }>(path, 'PRAGMA auto_vacuum').auto_vacuum).toBe(2)
        store.close()
        // Reopening an existing file keeps its data.
        const again = sqliteStore({ path })
        expect(again.load('a', 60_000)).toBe('{}')
        again.close()
    })

    test.each([
        ['read', (store: Store) => store.load('a', 10_000)],
        ['save', (store: Store) => store.save('a', '{"n":2}', 10_000)]
    ])('a %s writes the expiry only once a tenth of the ttl has passed', (_, use) => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now })
        const expires = () => inspect<{ expires: number }>(path, 'SELECT expires FROM scoped_state').expires
        store.save('a', '{}', 10_000)
        const saved = expires()
        expect(saved).toBeGreaterThanOrEqual(now + 10_000)
        now += 900
        use(store)
        expect(expires()).toBe(saved)
        now += 200
        use(store)
        expect(expires()).toBeGreaterThanOrEqual(now + 10_000)
        store.close()
    })

    test('an expiry written while the clock ran ahead is written again by a read or a save once it is corrected', () => {
        const path = newPath()
        const year = 365 * 86_400_000
        let now = 1_000_000 + year
        const store = sqliteStore({ path, now: () => now })
        for (const id of ['read', 'saved']) store.save(id, '{}', 10_000)
        now -= year
        store.load('read', 10_000)
        store.save('saved', '{"n":1}', 10_000)
        for (const id of ['read', 'saved'])
            expect(
                inspect<{ expires: number }>(path, `SELECT expires FROM scoped_state WHERE id = '${id}'`).expires
            ).toBe(now + 11_000)
        store.close()
    })

    test('an expiry up to ttl × 1.2 ahead is left alone by a save; further, it is written again', () => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now })
        const expiresOf = (id: string) =>
            inspect<{ expires: number }>(path, `SELECT expires FROM scoped_state WHERE id = '${id}'`).expires
        for (const [id, ahead, written] of [
            ['kept', 1_000, false],
            ['rewritten', 1_001, true]
        ] as const) {
            now += ahead
            store.save(id, '{}', 10_000)
            now -= ahead
            const before = expiresOf(id)
            store.save(id, '{"n":1}', 10_000)
            expect(expiresOf(id)).toBe(written ? now + 11_000 : before)
        }
        store.close()
    })

    test('a restart whose first request has a short TTL (a session near absoluteTimeout) shortens no other row', async () => {
        const path = newPath()
        const week = 7 * 86_400_000
        const first = sqliteStore({ path })
        first.save('idle', '{}', week)
        first.close()
        const store = sqliteStore({ path, sweepInterval: 20 })
        store.save('ending', '{}', 60_000)
        await Bun.sleep(200)
        const { expires } = inspect<{ expires: number }>(path, "SELECT expires FROM scoped_state WHERE id = 'idle'")
        expect(expires).toBeGreaterThan(Date.now() + week)
        store.close()
    })

    test('is synchronous: its sessions are not queued, an awaiting handler is rebased (one of several overlapping gets 409)', async () => {
        const store = sqliteStore({ path: newPath() })
        expect(store.synchronous).toBe(true)
        const user = client(slowIncrementApp({ store }, 5))
        await user.get('/count')
        const responses = await Promise.all(Array.from({ length: 5 }, () => user.post('/slow-increment')))
        expect(responses.some((response) => response.status === 409)).toBe(true)
        store.close()
    })

    test('after a restart, a cookie that a login replaced is still known as ended: refused for its grace minute, then a new session', async () => {
        const path = newPath()
        const before = sqliteStore({ path })
        const browser = client(stateApp({ store: before }))
        await browser.post('/increment')
        const replaced = browser.cookie
        await browser.post('/login')
        before.close()
        // Restarted within the minute: a request still carrying the old cookie saves nothing under its id.
        const restarted = sqliteStore({ path })
        expect((await client(stateApp({ store: restarted }), replaced).post('/increment')).status).toBe(409)
        restarted.close()
        // Restarted two minutes later, by the store's clock: a new session, under an id of its own.
        const later = sqliteStore({ path, now: () => Date.now() + 120_000 })
        const stale = client(stateApp({ store: later }), replaced)
        const response = await stale.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(stale.cookie)).not.toBe(sessionIdOf(replaced))
        later.close()
    })

    test('after a restart, a cookie that a login replaced with the clock set back is still known as ended as long as it is taken', async () => {
        const path = newPath()
        const clock = manualClock()
        const before = sqliteStore({ path, now: clock.now })
        const browser = client(stateApp({ store: before, now: clock.now }))
        await browser.post('/increment')
        const replaced = browser.cookie
        // Set back two days: the cookie, issued two days ahead, is taken for its 7 days from its issue.
        clock.advance(-2 * DAY)
        await browser.post('/login')
        before.close()
        // Restarted 8 days after the login (past the idleTimeout the login counted from then), a day
        // before that cookie's own.
        clock.advance(8 * DAY)
        const restarted = sqliteStore({ path, now: clock.now })
        const stale = client(stateApp({ store: restarted, now: clock.now }), replaced)
        const response = await stale.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(stale.cookie)).not.toBe(sessionIdOf(replaced))
        restarted.close()
    })

    test('after restarts, a cookie issued before the clock was set back is still known as ended, though the login brought a later one', async () => {
        const path = newPath()
        const clock = manualClock()
        const before = sqliteStore({ path, now: clock.now })
        const browser = client(stateApp({ store: before, now: clock.now }))
        await browser.post('/increment')
        const first = browser.cookie
        // Set back two days: the next request is sent a copy issued now, and the login brings that
        // copy, while the first one is still taken for 7 days from its own issue.
        clock.advance(-2 * DAY)
        await browser.post('/increment')
        expect(browser.cookie).not.toBe(first)
        before.close()
        // A restart between them: only that copy tells how long the first one is taken.
        const between = sqliteStore({ path, now: clock.now })
        const login = await client(stateApp({ store: between, now: clock.now }), browser.cookie).post('/login')
        expect(login.status).toBe(200)
        between.close()
        // Restarted 8 days after the login, a day before the first copy's idleTimeout.
        clock.advance(8 * DAY)
        const restarted = sqliteStore({ path, now: clock.now })
        const stale = client(stateApp({ store: restarted, now: clock.now }), first)
        const response = await stale.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(stale.cookie)).not.toBe(sessionIdOf(first))
        restarted.close()
    })

    test('after a restart, a cookie issued later than the one a login brought, the clock set back since, is still known as ended', async () => {
        const path = newPath()
        const clock = manualClock()
        const before = sqliteStore({ path, now: clock.now })
        const browser = client(stateApp({ store: before, now: clock.now }))
        await browser.post('/increment')
        const older = browser.cookie
        // Two hours on, the next request is sent a copy issued then, taken for 7 days from then.
        clock.advance(2 * HOUR)
        await browser.post('/increment')
        const later = browser.cookie
        // Set back three hours, a login brings the older copy (a request sent before the later one came).
        clock.advance(-3 * HOUR)
        const login = await client(stateApp({ store: before, now: clock.now }), older).post('/login')
        expect(login.status).toBe(200)
        before.close()
        // Restarted half an hour past the older copy's idleTimeout, before the later one's.
        clock.advance(7 * DAY + HOUR + HOUR / 2)
        const restarted = sqliteStore({ path, now: clock.now })
        const stale = client(stateApp({ store: restarted, now: clock.now }), later)
        const response = await stale.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(stale.cookie)).not.toBe(sessionIdOf(later))
        restarted.close()
    })

    test('after a clock that ran a year ahead once, a logout keeps its mark no longer than two cookie lives', async () => {
        const path = newPath()
        const clock = manualClock()
        const store = sqliteStore({ path, now: clock.now })
        const user = client(stateApp({ store, now: clock.now }))
        await user.post('/increment')
        // Another visitor served while the clock ran a year ahead.
        clock.advance(365 * DAY)
        await client(stateApp({ store, now: clock.now })).post('/increment')
        clock.advance(-365 * DAY)
        const ended = sessionIdOf(user.cookie)
        expect((await user.post('/logout')).status).toBe(200)
        const { expires } = inspect<{ expires: number }>(
            path,
            `SELECT expires FROM scoped_state_ended WHERE id = '${ended}'`
        )
        expect(expires).toBeGreaterThan(clock.now() + 7 * DAY * 1000)
        expect(expires).toBeLessThanOrEqual(clock.now() + 14 * DAY * 1000)
        store.close()
    })

    test('after a restart, a session the app ended with the clock set back stays ended while a cookie it was sent is taken', async () => {
        const path = newPath()
        const clock = manualClock()
        const endingApp = (store: Store) =>
            stateApp({ store, now: clock.now }).post('/end/:id', ({ params, endScopedSession }) => {
                endScopedSession(params.id)
                return 'ended'
            })
        const before = sqliteStore({ path, now: clock.now })
        const phone = client(endingApp(before))
        await phone.post('/increment')
        // Set back two days, the app ends the phone's session from another browser.
        clock.advance(-2 * DAY)
        expect(await (await client(endingApp(before)).post(`/end/${sessionIdOf(phone.cookie)}`)).text()).toBe('ended')
        before.close()
        // Restarted 8 days on, a day before the phone's cookie, issued two days ahead, is past its idleTimeout.
        clock.advance(8 * DAY)
        const restarted = sqliteStore({ path, now: clock.now })
        const stale = client(endingApp(restarted), phone.cookie)
        const response = await stale.post('/increment')
        expect([response.status, await response.text()]).toEqual([200, '1'])
        expect(sessionIdOf(stale.cookie)).not.toBe(sessionIdOf(phone.cookie))
        restarted.close()
    })

    test('marks its format in a table of its own, and refuses a file of a later format, leaving it as it was', () => {
        const path = newPath()
        sqliteStore({ path }).close()
        expect(inspect<{ version: number }>(path, 'SELECT version FROM scoped_state_format').version).toBe(1)

        const later = newPath()
        const made = new Database(later)
        made.run(
            'CREATE TABLE scoped_state_format (version INTEGER NOT NULL); INSERT INTO scoped_state_format VALUES (2)'
        )
        made.close()
        expect(() => sqliteStore({ path: later })).toThrow(
            `sqliteStore: cannot open ${later}: it was written by a newer version of scoped-state (format 2, this one reads 1)`
        )
        expect(
            inspect<{ tables: string }>(later, 'SELECT group_concat(name) AS tables FROM sqlite_master').tables
        ).toBe('scoped_state_format')
        expect(inspect<{ journal_mode: string }>(later, 'PRAGMA journal_mode').journal_mode).toBe('delete')
    })

    test('a file from before the format mark opens with its sessions, and is marked as this format', () => {
        const path = newPath()
        const earlier = new Database(path)
        earlier.run('PRAGMA journal_mode = WAL')
        earlier.run(
            'CREATE TABLE scoped_state (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID'
        )
        earlier.run(`INSERT INTO scoped_state VALUES ('a', '{"n":1}', ${Date.now() + 60_000})`)
        earlier.close()
        const store = sqliteStore({ path })
        expect(store.load('a', 60_000)).toBe('{"n":1}')
        store.close()
        expect(inspect<{ version: number }>(path, 'SELECT version FROM scoped_state_format').version).toBe(1)
    })

    test("shares a file with the app's own tables, and leaves its user_version to the app", () => {
        const path = newPath()
        const app = new Database(path)
        app.run('PRAGMA user_version = 3; CREATE TABLE notes (id INTEGER PRIMARY KEY)')
        app.close()
        const store = sqliteStore({ path })
        store.save('a', '{}', 60_000)
        expect(store.load('a', 60_000)).toBe('{}')
        store.close()
        expect(inspect<{ user_version: number }>(path, 'PRAGMA user_version').user_version).toBe(3)
    })

    test('uses 1 KiB pages, the cheaper write for small records, and incremental vacuum, with exclusive too', () => {
        for (const exclusive of [false, true]) {
            const path = newPath()
            const store = sqliteStore({ path, exclusive })
            store.save('a', '{}', 60_000)
            // A store with `exclusive` must be closed before another connection reads its file.
            if (exclusive) store.close()
            expect(inspect<{ page_size: number }>(path, 'PRAGMA page_size').page_size).toBe(1024)
            expect(inspect<{ auto_vacuum: number }>(path, 'PRAGMA auto_vacuum').auto_vacuum).toBe(2)
            if (!exclusive) store.close()
        }
    })

    test('expired sessions are swept and their space given back', async () => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now, sweepInterval: 20 })
        const record = JSON.stringify({ s: { text: 'x'.repeat(4_000) }, p: {} })
        for (let i = 0; i < 500; i++) store.save(`old-${i}`, record, 1_000)
        store.save('kept', '{}', 60_000)
        const pages = inspect<{ page_count: number }>(path, 'PRAGMA page_count').page_count
        now += 2_000
        const freePages = () => inspect<{ freelist_count: number }>(path, 'PRAGMA freelist_count').freelist_count
        for (let i = 0; i < 100 && ((store.stats() as StoreStats).expirations < 500 || freePages() > 0); i++)
            await Bun.sleep(20)
        expect(store.stats()).toMatchObject({ sessions: 1, expirations: 500 })
        expect(inspect<{ page_count: number }>(path, 'PRAGMA page_count').page_count).toBeLessThan(pages / 10)
        expect(inspect<{ freelist_count: number }>(path, 'PRAGMA freelist_count').freelist_count).toBe(0)
        expect(store.load('kept', 60_000)).toBe('{}')
        store.close()
    })

    test('a sweep of many expired sessions goes in steps, with requests served in between', async () => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now, sweepInterval: 20 })
        for (let i = 0; i < 5_000; i++) store.save(`old-${i}`, '{}', 1_000)
        now += 2_000
        // What a request arriving at each turn of the event loop would see.
        const seen = new Set<number>()
        for (let i = 0; i < 10_000 && !seen.has(5_000); i++) {
            seen.add((store.stats() as StoreStats).expirations)
            await new Promise((resolve) => setImmediate(resolve))
        }
        expect([...seen].filter((count) => count > 0 && count < 5_000).length).toBeGreaterThan(0)
        expect(seen.has(5_000)).toBe(true)
        store.close()
    })

    test('a store closed while a sweep is under way stops it without a warning (the app stopping)', async () => {
        const warn = spyOn(console, 'warn').mockImplementation(() => {})
        try {
            const path = newPath()
            let now = 1_000_000
            const store = sqliteStore({ path, now: () => now, sweepInterval: 20 })
            for (let i = 0; i < 5_000; i++) store.save(`old-${i}`, '{}', 1_000)
            now += 2_000
            for (let i = 0; i < 10_000 && (store.stats() as StoreStats).expirations === 0; i++)
                await new Promise((resolve) => setImmediate(resolve))
            expect((store.stats() as StoreStats).expirations).toBeLessThan(5_000)
            store.close()
            await Bun.sleep(50)
            expect(warn).not.toHaveBeenCalled()
        } finally {
            warn.mockRestore()
        }
    })

    test('a file made without incremental vacuum is swept all the same, sweep after sweep', async () => {
        const path = newPath()
        // As another tool would make it: the same table, the default auto_vacuum (none).
        const made = new Database(path)
        made.run(
            'CREATE TABLE scoped_state (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID'
        )
        made.run('CREATE INDEX scoped_state_expires ON scoped_state (expires)')
        made.close()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now, sweepInterval: 20 })
        const sweptAll = async (count: number) => {
            for (let i = 0; i < 100 && (store.stats() as StoreStats).expirations < count; i++) await Bun.sleep(20)
            expect((store.stats() as StoreStats).expirations).toBe(count)
        }
        for (let i = 0; i < 300; i++) store.save(`old-${i}`, JSON.stringify({ s: { text: 'x'.repeat(2_000) } }), 1_000)
        now += 2_000
        await sweptAll(300)
        store.save('later', '{}', 1_000)
        now += 2_000
        await sweptAll(301)
        store.close()
    })

    test('creates its files readable by their owner only; an existing file keeps its mode', () => {
        // The usual umask: under 077 every file would be private anyway.
        const umask = process.umask(0o022)
        try {
            const path = newPath()
            const store = sqliteStore({ path })
            store.save('a', '{"name":"Ada"}', 60_000)
            for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600)
            store.close()

            const shared = newPath()
            writeFileSync(shared, '')
            chmodSync(shared, 0o640)
            const again = sqliteStore({ path: shared })
            again.save('a', '{}', 60_000)
            again.close()
            expect(statSync(shared).mode & 0o777).toBe(0o640)
        } finally {
            process.umask(umask)
        }
    })

    test('a deleted or overwritten record leaves no copy in the file once checkpointed (at close)', () => {
        const path = newPath()
        const store = sqliteStore({ path })
        store.save('a', '{"name":"first-version-of-a"}', 60_000)
        store.save('a', '{"name":"second"}', 60_000)
        store.save('b', '{"name":"signed-out-user-b"}', 60_000)
        store.delete('b')
        store.close()
        const bytes = readFileSync(path).toString('latin1')
        const found = ['second', 'first-version-of-a', 'signed-out-user-b'].filter((text) => bytes.includes(text))
        expect(found).toEqual(['second'])
    })

    test('checkpoint leaves no copy of a deleted record in the file or its log while the store stays open (an erasure)', () => {
        for (const exclusive of [false, true]) {
            const path = newPath()
            const store = sqliteStore({ path, exclusive })
            store.save('b', '{"name":"erased-user-b"}', 60_000)
            store.delete('b')
            const holding = () =>
                [path, `${path}-wal`].filter(
                    (file) => existsSync(file) && readFileSync(file).toString('latin1').includes('erased-user-b')
                )
            expect(holding()).toEqual([`${path}-wal`])
            expect(store.checkpoint()).toBe(true)
            expect(holding()).toEqual([])
            store.save('a', '{"v":1}', 60_000)
            expect(store.load('a', 60_000)).toBe('{"v":1}')
            store.close()
        }
    })

    test(
        'checkpoint answers false at once while a reader uses the log (the process waits for no backup), and true once it is done',
        () => {
            const path = newPath()
            const store = sqliteStore({ path, busyTimeout: BUSY_TIMEOUT })
            store.save('b', '{"name":"erased-user-b"}', 60_000)
            const reader = new Database(path)
            reader.run('BEGIN')
            reader.query('SELECT count(*) FROM scoped_state').get()
            store.delete('b')
            const started = performance.now()
            expect(store.checkpoint()).toBe(false)
            expect(performance.now() - started).toBeLessThan(AT_ONCE)
            reader.run('COMMIT')
            reader.close()
            // Writes still wait for another connection as before.
            const writer = new Database(path)
            expectSaveToWait(store, writer)
            writer.close()
            expect(store.checkpoint()).toBe(true)
            expect(readFileSync(`${path}-wal`).length).toBe(0)
            store.close()
        },
        TWO_WAITS
    )

    test('close checkpoints the write-ahead log into the file', () => {
        const path = newPath()
        const store = sqliteStore({ path })
        store.save('a', '{"v":1}', 60_000)
        expect(existsSync(`${path}-wal`)).toBe(true)
        store.close()
        expect(existsSync(`${path}-wal`)).toBe(false)
        expect(statSync(path).size).toBeGreaterThan(0)
        expect(inspect<{ record: string }>(path, "SELECT record FROM scoped_state WHERE id = 'a'").record).toBe(
            '{"v":1}'
        )
    })

    test('a close that cannot checkpoint (the file may not grow: a full disk) says so, and the -wal keeps the saves', async () => {
        const path = newPath()
        const filled = sqliteStore({ path })
        for (let i = 0; i < 100; i++) filled.save(`old-${i}`, JSON.stringify({ v: 'x'.repeat(4_000) }), 60_000)
        filled.close()
        // A child whose files may not grow past the file as it is now: its save goes to the small
        // -wal, and the checkpoint at close, which must extend the file, fails. Counted in 1 KiB
        // blocks, the limit is under the file's size; in the 512-byte blocks of POSIX shells, half of it.
        const blocks = Math.floor(statSync(path).size / 1024)
        const script = `
            const { sqliteStore } = await import(${JSON.stringify(join(import.meta.dir, '../../../plugins/scoped-state'))})
            const store = sqliteStore({ path: ${JSON.stringify(path)} })
            store.save('new', JSON.stringify({ v: 'y'.repeat(4_000) }), 60_000)
            store.close()
        `
        const limited = `trap '' XFSZ; ulimit -f ${blocks} && exec "$0" -e "$1"`
        const child = Bun.spawn(['sh', '-c', limited, process.execPath, script], { stderr: 'pipe' })
        const errors = await new Response(child.stderr).text()
        expect(await child.exited).toBe(0)
        expect(errors).toContain(`scopedState: closing ${path} could not write its log into it`)
        expect(existsSync(`${path}-wal`)).toBe(true)
        const saved = inspect<{ record: string }>(path, "SELECT record FROM scoped_state WHERE id = 'new'")
        expect(saved.record).toContain('yyyy')
    })

    test('its file moved, replaced or deleted while open: stats answers 503 (so /healthz does), sweeps warn', async () => {
        const folder = join(dir, 'moved-file')
        mkdirSync(folder)
        const path = join(folder, 'state.db')
        const store = sqliteStore({ path, sweepInterval: 20 })
        store.save('a', '{}', 60_000)
        const notItsFile = `Session store unavailable: SQLite: ${path} is no longer the file this store opened`
        const warn = spyOn(console, 'warn').mockImplementation(() => {})
        try {
            renameSync(path, `${path}.moved`)
            expect(() => store.stats()).toThrow(StoreUnavailableError)
            expect(() => store.stats()).toThrow(notItsFile)
            const started = performance.now()
            while (warn.mock.calls.length === 0 && performance.now() - started < 5_000) await Bun.sleep(5)
            expect(String(warn.mock.calls[0])).toStartWith(
                `scopedState: ${path} is no longer the file this store opened`
            )

            renameSync(`${path}.moved`, path)
            expect((store.stats() as StoreStats).sessions).toBe(1)
            // A copy put in its place (a backup restored) is another file, with the same content.
            copyFileSync(path, `${path}.copy`)
            renameSync(`${path}.copy`, path)
            expect(() => store.stats()).toThrow(notItsFile)
            rmSync(path)
            expect(() => store.stats()).toThrow(notItsFile)
            // Its folder replaced by a file: the path names nothing (ENOTDIR).
            renameSync(folder, `${folder}.moved`)
            writeFileSync(folder, '')
            expect(() => store.stats()).toThrow(notItsFile)
        } finally {
            warn.mockRestore()
            store.close()
        }
    })

    test('a relative path stays the file it named at open, after the process changes directory', () => {
        const cwd = process.cwd()
        process.chdir(dir)
        const store = sqliteStore({ path: 'relative.db' })
        try {
            process.chdir(tmpdir())
            expect((store.stats() as StoreStats).sessions).toBe(0)
        } finally {
            process.chdir(cwd)
            store.close()
        }
    })

    test('a file locked by another connection answers 503', () => {
        const path = newPath()
        const store = sqliteStore({ path, busyTimeout: 50 })
        const writer = new Database(path)
        writer.run('BEGIN IMMEDIATE')
        try {
            expect(() => store.save('a', '{}', 60_000)).toThrow(expect.objectContaining({ status: 503 }))
        } finally {
            writer.run('ROLLBACK')
            writer.close()
        }
        store.save('a', '{}', 60_000)
        expect(store.load('a', 60_000)).toBe('{}')
        store.close()
    })

    test('with exclusive, it holds its file: no other connection can read it, a second store fails at setup', () => {
        const path = newPath()
        // An existing file is held from the moment the store opens, before any write.
        sqliteStore({ path }).close()
        const store = sqliteStore({ path, exclusive: true })
        expect(() => inspect(path, 'SELECT count(*) FROM scoped_state')).toThrow('database is locked')
        expect(() => sqliteStore({ path, busyTimeout: 50 })).toThrow(
            expect.objectContaining({
                name: 'ScopedStateSetupError',
                message: expect.stringContaining('is locked by another connection')
            })
        )
        store.save('a', '{}', 60_000)
        // Closed, the file is free again, and the state is still there.
        store.close()
        expect(inspect<{ record: string }>(path, 'SELECT record FROM scoped_state').record).toBe('{}')
    })

    test('a write that fails (file size limit reached) answers 503 and keeps the state it had', async () => {
        const path = newPath()
        // A child process whose files may not grow past 400 blocks (200 or 400 KB, by shell).
        const script = `
            const { sqliteStore } = await import(${JSON.stringify(join(import.meta.dir, '../../../plugins/scoped-state'))})
            const store = sqliteStore({ path: ${JSON.stringify(path)} })
            store.save('a', '{"v":1}', 60_000)
            let failure
            try {
                for (let i = 0; i < 200; i++) store.save('b' + i, JSON.stringify({ v: 'x'.repeat(4_000) }), 60_000)
            } catch (error) {
                failure = { status: error.status, message: error.message }
            }
            // A commit's transaction too, which writes its pages to the log as it commits.
            let committing
            try {
                store.atomically(() => store.save('a', JSON.stringify({ v: 'y'.repeat(4_000) }), 60_000))
            } catch (error) {
                committing = { status: error.status, message: error.message }
            }
            console.log(JSON.stringify({ failure, committing, kept: store.load('a', 60_000) }))
            store.close()
        `
        const limited = `trap '' XFSZ; ulimit -f 400 && exec "$0" -e "$1"`
        const child = Bun.spawn(['sh', '-c', limited, process.execPath, script], { stderr: 'pipe' })
        const [output, errors] = await Promise.all([
            new Response(child.stdout).text(),
            new Response(child.stderr).text()
        ])
        expect({ exitCode: await child.exited, errors }).toEqual({ exitCode: 0, errors: '' })
        const { failure, committing, kept } = JSON.parse(output)
        for (const refused of [failure, committing])
            expect(refused).toEqual({
                status: 503,
                message: expect.stringContaining('Session store unavailable: SQLite:')
            })
        expect(kept).toBe('{"v":1}')
    })

    test('on a full disk (file size limit reached), a read whose expiry is due answers its record, not 503', async () => {
        const path = newPath()
        // A child process whose files may not grow past 400 blocks, filled with small saves until one fails.
        const script = `
            const { sqliteStore } = await import(${JSON.stringify(join(import.meta.dir, '../../../plugins/scoped-state'))})
            const day = 86_400_000
            let now = 1_000_000
            const store = sqliteStore({ path: ${JSON.stringify(path)}, now: () => now })
            store.save('returning', '{"v":1}', 7 * day)
            store.save('expiring', '{"v":2}', day)
            let full
            try {
                for (let i = 0; i < 100_000; i++) store.save('b' + i, '{}', 7 * day)
            } catch (error) {
                full = error.status
            }
            // Two days later: the returning user's read extends its expiry, the other's record has expired.
            now += 2 * day
            const read = (id) => {
                try {
                    return store.load(id, 7 * day)
                } catch (error) {
                    return error.status
                }
            }
            console.log(JSON.stringify({ full, returning: read('returning'), expiring: read('expiring') ?? null }))
            store.close()
        `
        const limited = `trap '' XFSZ; ulimit -f 400 && exec "$0" -e "$1"`
        const child = Bun.spawn(['sh', '-c', limited, process.execPath, script], { stderr: 'pipe' })
        const output = await new Response(child.stdout).text()
        expect(await child.exited).toBe(0)
        expect(JSON.parse(output)).toEqual({ full: 503, returning: '{"v":1}', expiring: null })
    })

    test('with exclusive, the log’s index is in the process’s memory, for a file in WAL mode already too', () => {
        const path = newPath()
        const fresh = sqliteStore({ path, exclusive: true })
        fresh.save('a', '{}', 60_000)
        expect(existsSync(`${path}-shm`)).toBe(false)
        fresh.close()
        sqliteStore({ path }).close()
        // The file is in WAL mode now: read before the locking mode was set, it got a shared -shm.
        const reopened = sqliteStore({ path, exclusive: true })
        reopened.save('b', '{}', 60_000)
        expect(existsSync(`${path}-shm`)).toBe(false)
        expect(reopened.load('a', 60_000)).toBe('{}')
        reopened.close()
    })

    test('opening a file another store holds waits busyTimeout before it gives up', () => {
        const path = newPath()
        const holder = sqliteStore({ path, exclusive: true })
        try {
            const started = performance.now()
            expect(() => sqliteStore({ path, exclusive: true, busyTimeout: 300 })).toThrow(
                `sqliteStore: ${path} is locked by another connection (another process, or a store not yet closed); ` +
                    'a store with `exclusive` must have the file alone.'
            )
            expect(performance.now() - started).toBeGreaterThanOrEqual(250)
        } finally {
            holder.close()
        }
    })

    test('two stores with exclusive setting up a new file at the same moment: one opens it, the other says why it cannot', async () => {
        // With the locking mode set first, each kept the shared lock of its first read while it
        // waited for the other's write lock, which could not commit past it: both failed after
        // busyTimeout, in about 9 rounds of 10.
        const script = `
            const { sqliteStore } = await import(process.argv[2])
            console.log('ready')
            let start = 0
            for await (const line of console) {
                start = Number(line)
                break
            }
            while (Date.now() < start) {}
            try {
                sqliteStore({ path: process.argv[1], exclusive: true, busyTimeout: 1_000 }).save('a', '{}', 60_000)
                console.log('opened')
            } catch (error) {
                console.log(error.message)
            }
            setInterval(() => {}, 60_000)
        `
        const plugin = join(import.meta.dir, '../../../plugins/scoped-state/index.ts')
        for (let round = 0; round < 3; round++) {
            const path = newPath()
            const stores = [0, 1].map(() =>
                Bun.spawn([process.execPath, '-e', script, path, plugin], { stdin: 'pipe', stdout: 'pipe' })
            )
            try {
                const outputs = stores.map((store) => linesOf(store))
                for (const output of outputs) expect(await output.next()).toBe('ready')
                // The same moment for both, not the moment each reads it.
                const start = Date.now() + 100
                for (const store of stores) {
                    store.stdin.write(`${start}\n`)
                    store.stdin.flush()
                }
                const results = await Promise.all(outputs.map((output) => output.next()))
                expect(results.sort()).toEqual([
                    'opened',
                    `sqliteStore: ${path} is locked by another connection (another process, or a store not yet closed); ` +
                        'a store with `exclusive` must have the file alone.'
                ])
            } finally {
                for (const store of stores) store.kill()
            }
        }
    })

    test('processes that set up a new file at the same moment all open it', async () => {
        // The other process takes its setup's transaction as soon as this one's has made the
        // file's first table, before this one turns the file to WAL mode: as a second store
        // starting beside this one may. SQLite refuses WAL mode meanwhile without waiting.
        // Without trying again, the store failed to open 9 times in 10.
        const script = `
            const { Database } = require('bun:sqlite')
            const db = new Database(process.argv[1], { create: true })
            console.log('ready')
            for (;;) {
                try { db.run('BEGIN IMMEDIATE') } catch { continue }
                if (db.query("SELECT 1 FROM sqlite_master WHERE name = 'scoped_state_format'").get()) break
                db.run('ROLLBACK')
            }
            Bun.sleepSync(200)
            // Its commit waits for the reads of this store's next try, as a setup's commit does.
            db.run('PRAGMA busy_timeout = 10000')
            db.run('COMMIT')
        `
        for (let round = 0; round < 3; round++) {
            const path = newPath()
            const other = Bun.spawn([process.execPath, '-e', script, path], { stdout: 'pipe' })
            try {
                expect(await firstLine(other)).toBe('ready\n')
                const store = sqliteStore({ path, busyTimeout: 10_000 })
                store.save('a', '{"v":1}', 60_000)
                expect(store.load('a', 60_000)).toBe('{"v":1}')
                store.close()
                expect(await other.exited).toBe(0)
            } finally {
                other.kill()
            }
        }
    })

    test('a file set up already opens while another connection holds its write lock: it reads, and its writes wait for it', () => {
        const path = newPath()
        const first = sqliteStore({ path })
        first.save('a', '{"v":1}', 60_000)
        first.close()
        // A process stuck inside its commit, or a sqlite3 shell left inside a write transaction.
        const writer = new Database(path)
        writer.run('BEGIN IMMEDIATE')
        try {
            // Its setup wrote to the file (its format checked in a write transaction), so it waited
            // busyTimeout, and the app did not start.
            const store = sqliteStore({ path, busyTimeout: SHORT_BUSY_TIMEOUT })
            expect(store.load('a', 60_000)).toBe('{"v":1}')
            expect(store.stats()).toMatchObject({ sessions: 1 })
            expect(() => store.save('a', '{"v":2}', 60_000)).toThrow(expect.objectContaining({ status: 503 }))
            writer.run('ROLLBACK')
            store.save('a', '{"v":2}', 60_000)
            expect(store.load('a', 60_000)).toBe('{"v":2}')
            store.close()
        } finally {
            if (writer.inTransaction) writer.run('ROLLBACK')
            writer.close()
        }
    })

    test('a store whose setup was tried again waits all of busyTimeout for a write, not what the setup left of it', async () => {
        // The other process holds the new file through most of `busyTimeout`, then takes it as soon
        // as this store's setup has made its first table (a write leaves a -journal meanwhile, which
        // it watches without a lock): the setup is refused then, and tried again with what is left.
        // The store's writes waited only that much after: the save below failed 9 times in 10.
        const script = `
            const { existsSync } = require('node:fs')
            const { Database } = require('bun:sqlite')
            const path = process.argv[1]
            const db = new Database(path, { create: true })
            db.run('BEGIN IMMEDIATE')
            console.log('ready')
            Bun.sleepSync(1_500)
            db.run('ROLLBACK')
            for (;;) {
                while (!existsSync(path + '-journal')) {}
                for (;;) try { db.run('BEGIN IMMEDIATE'); break } catch {}
                if (db.query("SELECT 1 FROM sqlite_master WHERE name = 'scoped_state_format'").get()) break
                db.run('ROLLBACK')
            }
            Bun.sleepSync(100)
            // Its commit waits for the reads of this store's next try, as a setup's commit does.
            db.run('PRAGMA busy_timeout = 10000')
            db.run('COMMIT')
        `
        // Holds the file for half of `busyTimeout`, more than the setup left of it.
        const holder = `
            const { Database } = require('bun:sqlite')
            const db = new Database(process.argv[1])
            db.run('BEGIN IMMEDIATE')
            console.log('holding')
            Bun.sleepSync(${BUSY_TIMEOUT / 2})
            db.run('COMMIT')
        `
        const path = newPath()
        const other = Bun.spawn([process.execPath, '-e', script, path], { stdout: 'pipe' })
        let holding: Bun.Subprocess<'ignore', 'pipe'> | undefined
        try {
            expect(await firstLine(other)).toBe('ready\n')
            const store = sqliteStore({ path, busyTimeout: BUSY_TIMEOUT })
            expect(await other.exited).toBe(0)
            holding = Bun.spawn([process.execPath, '-e', holder, path], { stdout: 'pipe' })
            expect(await firstLine(holding)).toBe('holding\n')
            store.save('a', '{"v":1}', 60_000)
            expect(store.load('a', 60_000)).toBe('{"v":1}')
            store.close()
        } finally {
            other.kill()
            holding?.kill()
        }
    })

    test('a process killed inside its commit: the other goes on once it is gone, with what was committed and none of the rest', async () => {
        const path = newPath()
        // Long enough that a lock the killed process kept would fail the save below (503).
        const store = sqliteStore({ path, busyTimeout: 5 * BUSY_TIMEOUT })
        store.save('kept', '{"v":1}', 60_000)
        const script = `
            const { sqliteStore } = await import(process.argv[2])
            const store = sqliteStore({ path: process.argv[1] })
            store.atomically(() => {
                store.save('kept', '{"v":2}', 60_000)
                store.save('uncommitted', '{"v":1}', 60_000)
                console.log('holding')
                Bun.sleepSync(60_000)
            })
        `
        const plugin = join(import.meta.dir, '../../../plugins/scoped-state/index.ts')
        const other = Bun.spawn([process.execPath, '-e', script, path, plugin], { stdout: 'pipe' })
        try {
            expect(await firstLine(other)).toBe('holding\n')
            // Killed while the save below waits for its transaction.
            Bun.spawn(['sh', '-c', `sleep 0.5; kill -9 ${other.pid}`])
            store.save('after', '{"v":1}', 60_000)
            expect(await other.exited).not.toBe(0)
            for (const reader of [store, sqliteStore({ path })]) {
                expect(reader.load('kept', 60_000)).toBe('{"v":1}')
                expect(reader.load('uncommitted', 60_000)).toBeUndefined()
                expect(reader.load('after', 60_000)).toBe('{"v":1}')
                reader.close()
            }
            expect(inspect<{ integrity_check: string }>(path, 'PRAGMA integrity_check')).toEqual({
                integrity_check: 'ok'
            })
        } finally {
            other.kill()
        }
    })

    test('a file it cannot open fails at setup with SQLite’s reason and the path, not as a locked file', () => {
        const path = newPath()
        writeFileSync(path, 'this is not a SQLite database, only text. '.repeat(100))
        const missing = join(dir, 'no such directory', 'state.db')
        const underFile = join(path, 'state.db')
        const deepUnderFile = join(path, 'sessions', 'state.db')
        // Relative, the path is said as given, and its directory in full.
        const relativeMissing = relative(process.cwd(), missing)
        for (const [file, reason] of [
            [path, 'file is not a database'],
            [missing, `unable to open database file (its directory ${dirname(missing)} does not exist)`],
            [relativeMissing, `unable to open database file (its directory ${dirname(missing)} does not exist)`],
            [underFile, `unable to open database file (${path} is a file, not a directory)`],
            [
                deepUnderFile,
                `unable to open database file (its directory ${dirname(deepUnderFile)} cannot exist: a part of that path is a file)`
            ],
            // Its directory and the path both writable: no reason is made up.
            [dir, 'unable to open database file']
        ] as const)
            expect(() => sqliteStore({ path: file })).toThrow(
                expect.objectContaining({
                    name: 'ScopedStateSetupError',
                    message: `sqliteStore: cannot open ${file}: ${reason}`
                })
            )
    })

    test(
        'after one write gave up waiting for another connection, writes fail at once until one gets through',
        () => {
            const path = newPath()
            // SQLite waits synchronously: every request of the process would wait busyTimeout per write.
            const store = sqliteStore({ path, busyTimeout: BUSY_TIMEOUT })
            const writer = new Database(path)
            writer.run('BEGIN IMMEDIATE')
            expect(timedFailingSave(store)).toBeGreaterThanOrEqual(WAITED)
            expect(timedFailingSave(store)).toBeLessThan(AT_ONCE)
            writer.run('ROLLBACK')
            store.save('a', '{}', 60_000)
            // Through again, writes wait as before.
            expectSaveToWait(store, writer)
            writer.close()
            store.close()
        },
        TWO_WAITS
    )

    test(
        'a load whose expiry extension gets through lets writes wait again',
        () => {
            const path = newPath()
            let now = 1_000_000
            const store = sqliteStore({ path, now: () => now, busyTimeout: SHORT_BUSY_TIMEOUT })
            const writer = new Database(path)
            store.save('a', '{}', 60_000)
            expectSaveToWait(store, writer, SHORT_BUSY_TIMEOUT)
            // Past a tenth of the TTL, the load writes the session's new expiry.
            now += 10_000
            expect(store.load('a', 60_000)).toBe('{}')
            expectSaveToWait(store, writer, SHORT_BUSY_TIMEOUT)
            writer.close()
            store.close()
        },
        TWO_WAITS
    )

    test('a sweep while another connection holds the file gives up at once, and says why in SQLite’s words', async () => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now, busyTimeout: BUSY_TIMEOUT, sweepInterval: 20 })
        const writer = new Database(path)
        for (let i = 0; i < 10; i++) store.save(`old-${i}`, '{}', 1_000)
        writer.run('BEGIN IMMEDIATE')
        expect(timedFailingSave(store)).toBeGreaterThanOrEqual(WAITED)
        now += 2_000
        const warn = spyOn(console, 'warn').mockImplementation(() => {})
        try {
            const started = performance.now()
            while (warn.mock.calls.length === 0 && performance.now() - started < 5_000) await Bun.sleep(5)
            expect(performance.now() - started).toBeLessThan(AT_ONCE)
            expect(warn.mock.calls[0]).toEqual(['scopedState: sweeping the SQLite store failed: database is locked'])
        } finally {
            warn.mockRestore()
        }
        expect((store.stats() as StoreStats).expirations).toBe(0)
        writer.run('ROLLBACK')
        writer.close()
        for (let i = 0; i < 100 && (store.stats() as StoreStats).expirations < 10; i++) await Bun.sleep(20)
        expect((store.stats() as StoreStats).expirations).toBe(10)
        store.close()
    })

    test(
        'a sweep that meets a held file as it hands pages back: writes then give up at once, as after any write that waited in vain',
        async () => {
            const path = newPath()
            let now = 1_000_000
            let writer: Database | undefined
            const store = sqliteStore({
                path,
                now: () => now,
                busyTimeout: BUSY_TIMEOUT,
                // Not due again before the test checks: the next sweep's delete would wait and give up.
                sweepInterval: 300,
                // Held two turns after the first expiry is told: once the sweep has deleted its rows and
                // marks, just before it hands their pages back.
                onExpire: () => {
                    if (writer) return
                    writer = new Database(path)
                    setImmediate(() => setImmediate(() => writer?.run('BEGIN IMMEDIATE')))
                }
            })
            const record = JSON.stringify({ s: { text: 'x'.repeat(4_000) }, p: {} })
            for (let i = 0; i < 20; i++) store.save(`old-${i}`, record, 1_000)
            now += 2_000
            const warn = spyOn(console, 'warn').mockImplementation(() => {})
            try {
                for (let i = 0; i < 1_000 && warn.mock.calls.length === 0; i++) await Bun.sleep(5)
                expect(warn.mock.calls[0]).toEqual([
                    'scopedState: sweeping the SQLite store failed: database is locked'
                ])
            } finally {
                warn.mockRestore()
            }
            expect((store.stats() as StoreStats).expirations).toBe(20)
            expect(inspect<{ freelist_count: number }>(path, 'PRAGMA freelist_count').freelist_count).toBeGreaterThan(0)
            expect(timedFailingSave(store)).toBeLessThan(AT_ONCE)
            writer?.run('ROLLBACK')
            writer?.close()
            store.save('a', '{}', 60_000)
            expect(store.load('a', 60_000)).toBe('{}')
            store.close()
        },
        TWO_WAITS
    )

    test('an expired session, before any sweep: not counted by stats, and its load counts an expiration', () => {
        let now = 1_000_000
        const store = sqliteStore({ path: newPath(), now: () => now, sweepInterval: 3_600_000 })
        try {
            store.save('gone', '{}', 1_000)
            store.save('kept', '{}', 60_000)
            now += 2_000
            expect(store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 0 })
            expect(store.load('gone', 1_000)).toBeUndefined()
            expect(store.stats()).toEqual({ sessions: 1, evictions: 0, expirations: 1 })
        } finally {
            store.close()
        }
    })

    test('a deleted session is answered as ended, and since when, for as long as its cookie may be sent', () => {
        let now = 1_000_000
        const path = newPath()
        const store = sqliteStore({ path, now: () => now, sweepInterval: 3_600_000 })
        store.save('a', '{}', 60_000)
        store.delete('a', 120_000)
        now += 5_000
        expect(store.load('a', 60_000)).toEqual(endedAgo(5_000))
        // Ended again (a second logout, sent with the old cookie): its first end holds, and so does
        // its mark's longer life, which may cover a cookie issued ahead of a clock set back since.
        store.delete('a', 60_000)
        now += 5_000
        expect(store.load('a', 60_000)).toEqual(endedAgo(10_000))
        // A restart: the file remembers what the process did.
        store.close()
        const restarted = sqliteStore({ path, now: () => now, sweepInterval: 3_600_000 })
        expect(restarted.load('a', 60_000)).toEqual(endedAgo(10_000))
        now = 1_000_000 + 119_999
        expect(restarted.load('a', 60_000)).toEqual(endedAgo(119_999))
        now = 1_000_000 + 120_000 + 5_000
        expect(restarted.load('a', 60_000)).toBeUndefined()
        // An app's own delete, not told how long the cookie lives: a minute.
        restarted.delete('b')
        now += 59_999
        expect(restarted.load('b', 60_000)).toEqual(endedAgo(59_999))
        now += 1
        expect(restarted.load('b', 60_000)).toBeUndefined()
        // A session near its absolute timeout, its cookie taken a millisecond more: marked the grace minute all the same.
        restarted.delete('c', 1)
        now += 59_999
        expect(restarted.load('c', 60_000)).toEqual(endedAgo(59_999))
        restarted.close()
    })

    test("a save under an ended id, or a login's from one, writes nothing and throws SessionEndedError (409) while the mark lasts", () => {
        let now = 1_000_000
        // Another process ends the session between this one's load and its save: the file is shared.
        const path = newPath()
        const open = () => sqliteStore({ path, now: () => now, sweepInterval: 3_600_000 })
        const [store, other] = [open(), open()]
        store.save('a', '{"n":1}', 60_000)
        other.delete('a', 120_000)
        expect(() => store.save('a', '{"n":2}', 60_000)).toThrow(SessionEndedError)
        expect(() => store.save('new', '{"n":2}', 60_000, 'a')).toThrow(SessionEndedError)
        expect([store.load('a', 60_000), store.load('new', 60_000)]).toEqual([endedAgo(0), undefined])
        // A row beside the mark, as a version without marks took the cookie back: a live session, as loaded.
        other.delete('b', 120_000)
        const olderVersion = new Database(path)
        olderVersion.run(`INSERT INTO scoped_state VALUES ('b', '{}', ${now + 60_000})`)
        olderVersion.close()
        store.save('b', '{"n":2}', 60_000)
        store.save('from-b', '{"n":2}', 60_000, 'b')
        expect([store.load('b', 60_000), store.load('from-b', 60_000)]).toEqual(['{"n":2}', '{"n":2}'])
        // Its mark lapsed (not yet swept): no browser may still send that cookie.
        now += 120_000
        store.save('a', '{"n":3}', 60_000)
        store.save('new', '{"n":3}', 60_000, 'a')
        expect([store.load('a', 60_000), store.load('new', 60_000)]).toEqual(['{"n":3}', '{"n":3}'])
        store.close()
        other.close()
    })

    test("atomically: another connection's write waits for the transaction; one in a transaction keeps it from starting", () => {
        const path = newPath()
        const [store, other] = [sqliteStore({ path, busyTimeout: 20 }), sqliteStore({ path, busyTimeout: 20 })]
        store.save('a', '{"n":1}', 60_000)
        store.atomically?.(() => {
            expect(store.load('a', 60_000)).toBe('{"n":1}')
            expect(() => other.save('a', '{"n":9}', 60_000)).toThrow(StoreUnavailableError)
            store.save('a', '{"n":2}', 60_000)
        })
        expect(other.load('a', 60_000)).toBe('{"n":2}')
        let ran = false
        other.atomically?.(() =>
            expect(() =>
                store.atomically?.(() => {
                    ran = true
                })
            ).toThrow(StoreUnavailableError)
        )
        expect(ran).toBe(false)
        // Writes wait again once one got through.
        store.save('a', '{"n":3}', 60_000)
        expect(other.load('a', 60_000)).toBe('{"n":3}')
        // With `exclusive`, no other process has the file: each call is its own transaction.
        const held = sqliteStore({ path: newPath(), exclusive: true })
        expect(held.atomically).toBeUndefined()
        for (const opened of [store, other, held]) opened.close()
    })

    test("a page that changes nothing begins no transaction: it answers while another connection holds the file's write lock", async () => {
        const path = newPath()
        // No wait: a transaction begun now is refused at once.
        const store = sqliteStore({ path, busyTimeout: 0 })
        const user = client(stateApp({ store }))
        await user.post('/increment')
        const other = new Database(path)
        other.run('BEGIN IMMEDIATE')
        const [read, change] = [await user.get('/count'), await user.post('/increment')]
        expect({ read: [read.status, await read.text()], change: change.status }).toEqual({
            read: [200, '1'],
            change: 503
        })
        other.run('ROLLBACK')
        other.close()
        store.close()
    })

    test('a login whose commit finds the old session expired fails (409), and that expiry, undone with the commit, is told and counted once, when it is deleted for good', async () => {
        let time = Date.now()
        const told: string[] = []
        const store = sqliteStore({
            path: newPath(),
            now: () => time,
            sweepInterval: 3_600_000,
            onExpire: (id) => {
                told.push(id)
            }
        })
        const app = stateApp({ store }).post('/login-as-it-expires', ({ regenerateScopedSession }) => {
            // The store's clock only: to the plugin, the session is alive.
            time += 30 * DAY * 1000
            regenerateScopedSession()
            return 'regenerated'
        })
        const user = client(app)
        await user.post('/theme/blue')
        const old = sessionIdOf(user.cookie)
        expect((await user.post('/login-as-it-expires')).status).toBe(409)
        expect({ told, expirations: (store.stats() as StoreStats).expirations }).toEqual({ told: [], expirations: 0 })
        expect(store.load(old, 60_000)).toBeUndefined()
        // Another user's commit tells nothing of that undone transaction.
        expect((await client(app).post('/theme/red')).status).toBe(200)
        expect({ told, expirations: (store.stats() as StoreStats).expirations }).toEqual({
            told: [old],
            expirations: 1
        })
        store.close()
    })

    test("onExpire of a load inside a commit's transaction runs once it committed: it may write to the file through the app's own connection", () => {
        let time = 1_000_000
        const path = newPath()
        const audit = new Database(path)
        const store = sqliteStore({
            path,
            now: () => time,
            sweepInterval: 3_600_000,
            onExpire: (id) => {
                audit.run('INSERT INTO expired VALUES (?)', [id])
            }
        })
        audit.run('CREATE TABLE expired (id TEXT)')
        store.save('a', '{"v":1}', 60_000)
        time += 120_000
        const logged = spyOn(console, 'error').mockImplementation(() => {})
        // Calls from other files' tests, run in this process, would count too (late-changes.test.ts spies all along).
        logged.mockClear()
        try {
            store.atomically?.(() => {
                expect(store.load('a', 60_000)).toBeUndefined()
                store.save('b', '{"v":1}', 60_000)
            })
            expect({ logged: logged.mock.calls, audited: audit.query('SELECT id FROM expired').all() }).toEqual({
                logged: [],
                audited: [{ id: 'a' }]
            })
        } finally {
            logged.mockRestore()
            store.close()
            audit.close()
        }
    })

    describe('one file, two store objects (two processes): what the other does during a commit', () => {
        /** `busyTimeout` short: a write of the other's waits for the commit, in this one thread, until it gives up. */
        const opened: Store[] = []
        afterAll(() => {
            for (const store of opened) store.close()
        })
        const instances = () => {
            const path = newPath()
            const [a, b] = [sqliteStore({ path }), sqliteStore({ path, busyTimeout: 20 })]
            opened.push(a, b)
            return { one: stateApp({ store: a }), two: stateApp({ store: b }), store: a }
        }
        /** The state `cookie`'s session reads on `app`. */
        const stateOf = async (app: ReturnType<typeof stateApp>, cookie: string) =>
            (await client(app, cookie).get('/state')).json()
        /** Has `change` (a request to the other instance) sent inside `store`'s next save, after the commit loaded the record again. */
        const duringNextSave = (store: Store, change: () => Promise<Response>) => {
            const save = store.save.bind(store)
            const answer = Promise.withResolvers<Response>()
            store.save = (...args) => {
                store.save = save
                // Landed or refused, not merely sent: the other instance's hooks run synchronously up to the store.
                change().then(answer.resolve, answer.reject)
                return save(...args)
            }
            return answer.promise
        }

        test('a change made just before is merged (200, both changes)', async () => {
            const { one, two, store } = instances()
            const user = client(one)
            await user.post('/increment')
            const { atomically } = store
            store.atomically = (writes) => {
                store.atomically = atomically
                // Before the transaction: the commit's load reads it.
                void client(two, user.cookie).post('/theme/dark')
                return atomically?.(writes) as ReturnType<typeof writes>
            }
            expect((await user.post('/increment')).status).toBe(200)
            expect(await stateOf(two, user.cookie)).toMatchObject({ count: 2, theme: 'dark' })
        })

        test('a change sent during it waits: refused busy (503) past its wait, never overwritten; sent again, it is kept', async () => {
            const { one, two, store } = instances()
            const user = client(one)
            await user.post('/increment')
            const themed = duringNextSave(store, () => client(two, user.cookie).post('/theme/dark'))
            expect((await user.post('/increment')).status).toBe(200)
            expect((await themed).status).toBe(503)
            expect((await client(two, user.cookie).post('/theme/dark')).status).toBe(200)
            expect(await stateOf(one, user.cookie)).toMatchObject({ count: 2, theme: 'dark' })
        })

        test("a change of the old session sent during a login's commit is not carried away unsaved: refused busy (503)", async () => {
            const { one, two, store } = instances()
            const user = client(one)
            await user.post('/theme/blue')
            const old = user.cookie
            const themed = duringNextSave(store, () => client(two, old).post('/theme/dark'))
            expect((await user.post('/login')).status).toBe(200)
            // Saved into the old session after the login read it, and answered 200, it would be lost with that session.
            expect((await themed).status).toBe(503)
            expect(await stateOf(two, user.cookie)).toMatchObject({ theme: 'blue' })
        })
    })

    test("an app's end is marked dated back, unless the session's end is marked already; a lapsed mark is replaced", () => {
        let now = 1_000_000
        const store = sqliteStore({ path: newPath(), now: () => now, sweepInterval: 3_600_000 })
        store.delete('app', 120_000, 3_600_000)
        expect(store.load('app', 60_000)).toEqual(endedAgo(3_600_000))
        // Within a logout's grace minute, the app's end leaves it, as the process that ended it does.
        store.delete('logout', 120_000)
        now += 5_000
        store.delete('logout', 120_000, 3_600_000)
        expect(store.load('logout', 60_000)).toEqual(endedAgo(5_000))
        // Lapsed (not yet swept): the new end counts, dated back from now.
        now += 120_000
        store.delete('logout', 120_000, 3_600_000)
        expect(store.load('logout', 60_000)).toEqual(endedAgo(3_600_000))
        store.close()
    })

    test('marks of ended sessions are swept once their time is up', async () => {
        const path = newPath()
        let now = 1_000_000
        const store = sqliteStore({ path, now: () => now, sweepInterval: 20 })
        for (let i = 0; i < 1_500; i++) store.delete(`ended-${i}`, 60_000)
        store.delete('recent', 120_000)
        const marks = () => inspect<{ marks: number }>(path, 'SELECT count(*) AS marks FROM scoped_state_ended').marks
        expect(marks()).toBe(1_501)
        now += 60_000
        for (let i = 0; i < 100 && marks() > 1; i++) await Bun.sleep(20)
        expect(marks()).toBe(1)
        expect(store.load('recent', 60_000)).toEqual(endedAgo(60_000))
        // Not sessions that idled out: the stats count none.
        expect(store.stats()).toEqual({ sessions: 0, evictions: 0, expirations: 0 })
        store.close()
    })

    test('a record is gone from the millisecond its expiry names, as the sweep and stats see it', () => {
        let now = 1_000_000
        const path = newPath()
        const store = sqliteStore({ path, now: () => now, sweepInterval: 3_600_000 })
        try {
            store.save('a', '{}', 1_000)
            const { expires } = inspect<{ expires: number }>(path, 'SELECT expires FROM scoped_state')
            now = expires - 1
            expect(store.load('a', 1)).toBe('{}')
            now = expires
            expect(store.stats()).toMatchObject({ sessions: 0 })
            expect(store.load('a', 1_000)).toBeUndefined()
        } finally {
            store.close()
        }
    })
})
