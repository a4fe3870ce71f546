/**
 * Opening the SQLite store's file: created readable by its owner only, set up once (page size,
 * incremental vacuum, the format mark, WAL mode, the tables) and only read after that, the
 * setup tried again while another process sets up a new file at the same moment; and, when it
 * cannot be opened, why, in words that name the file.
 */
import { Database } from 'bun:sqlite'
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ScopedStateSetupError } from '../errors.js'
import type { SqliteStoreOptions } from './sqlite.js'

/**
 * The format of the store's tables, kept in a table of its own (the file's `user_version` is
 * the app's, whose tables may share the file): a later version of this store that changes
 * them raises it, so that this one, still running during a deploy or rolled back to, refuses
 * the file at startup instead of failing on every save. A file without it predates it.
 */
const FILE_FORMAT = 1

/** The format the file is marked with (`null` when its table has no row). */
const formatOf = (db: Database) =>
    (db.query('SELECT max(version) AS version FROM scoped_state_format').get() as { version: number | null }).version

/** Refuses a file of a later format than this store reads. */
const refuseLater = (version: number) => {
    if (version > FILE_FORMAT)
        throw new Error(
            `it was written by a newer version of scoped-state (format ${version}, this one reads ${FILE_FORMAT})`
        )
}

/** The format the file is marked with, read without a write lock; `undefined` when it has no mark. */
const markedFormat = (db: Database) =>
    db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scoped_state_format'").get()
        ? (formatOf(db) ?? undefined)
        : undefined

/**
 * Refuses a file of a later format, and marks one that has none, in one transaction: a later
 * version may be changing it meanwhile. A refused file is left as it was.
 */
const checkFormat = (db: Database) => {
    db.run('BEGIN IMMEDIATE')
    try {
        db.run('CREATE TABLE IF NOT EXISTS scoped_state_format (version INTEGER NOT NULL)')
        const version = formatOf(db)
        if (version === null) db.run(`INSERT INTO scoped_state_format VALUES (${FILE_FORMAT})`)
        else refuseLater(version)
        db.run('COMMIT')
    } catch (error) {
        db.run('ROLLBACK')
        throw error
    }
}

const SCHEMA = `
    CREATE TABLE IF NOT EXISTS scoped_state (
        id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        expires INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS scoped_state_expires ON scoped_state (expires);
    CREATE TABLE IF NOT EXISTS scoped_state_ended (
        id TEXT PRIMARY KEY,
        ended INTEGER NOT NULL,
        expires INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS scoped_state_ended_expires ON scoped_state_ended (expires);
`

/** A database SQLite keeps in memory or in a temporary file: no file of its own at `path`. */
export const noFile = (path: string) => path === ':memory:' || path === ''

/**
 * Creates a missing database file readable by its owner only: it holds what users put in
 * their state. SQLite gives its -wal and -shm files the same mode. An existing file keeps
 * its own, and a file that cannot be created is left for SQLite to say why.
 */
const createPrivately = (path: string) => {
    if (noFile(path)) return
    try {
        // Exclusive, so an existing file is never opened here: closing a descriptor of a file
        // drops every POSIX lock this process holds on it, another store's included.
        closeSync(openSync(path, 'wx', 0o600))
    } catch {}
}

/** The error code with which the system refuses `mode` access to `target`, or `undefined`. */
const denied = (target: string, mode: number) => {
    try {
        accessSync(target, mode)
        return undefined
    } catch (error) {
        return (error as { code?: string }).code ?? 'EACCES'
    }
}

/**
 * Why this process cannot create or write the database at `path`, or `undefined`: SQLite's
 * "unable to open database file" and "attempt to write a readonly database" say neither.
 */
const writeProblem = (path: string) => {
    const file = resolve(path)
    const directory = dirname(file)
    const onDirectory = denied(directory, constants.W_OK)
    if (onDirectory === 'ENOENT') return `its directory ${directory} does not exist`
    if (onDirectory === 'ENOTDIR') return `its directory ${directory} cannot exist: a part of that path is a file`
    if (onDirectory === 'EROFS') return `its directory ${directory} is on a read-only file system`
    if (onDirectory)
        return `this user cannot write its directory ${directory}, where SQLite also keeps the -wal and -shm files`
    if (!statSync(directory).isDirectory()) return `${directory} is a file, not a directory`
    if (denied(file, constants.R_OK) === 'EACCES') return 'this user cannot read the file'
    if (denied(file, constants.W_OK) === 'EACCES') return 'this user cannot write the file'
    return undefined
}

/**
 * Which file `path` names now (device and inode), `'none'` when none does, or undefined when
 * that cannot be told (no permission to look): only what is known is compared.
 */
export const fileAt = (path: string) => {
    try {
        const { dev, ino } = statSync(path, { bigint: true })
        return `${dev}:${ino}`
    } catch (error) {
        const code = (error as { code?: string }).code
        return code === 'ENOENT' || code === 'ENOTDIR' ? 'none' : undefined
    }
}

/** Whether SQLite answered that another connection holds the file. */
export const isBusy = (error: unknown) => String((error as { code?: string }).code).startsWith('SQLITE_BUSY')

/**
 * The pause before setting up a file again, after SQLite refused without waiting: 5 to 15 ms,
 * so that two stores refused together do not try again in step, and meet again.
 */
const setupPause = () => 5 + Math.random() * 10

/** Opens and sets up the file once, waiting up to `waitMs` for a connection that holds it (not with `exclusive`). */
const setUp = ({ path, synchronous = 'normal', exclusive = false }: SqliteStoreOptions, waitMs: number): Database => {
    const db = new Database(path, { create: true, strict: true })
    try {
        // With `exclusive`, no wait inside SQLite: in that mode a connection keeps the shared lock of
        // its reads while it waits for a write lock, so two stores setting up one file waited for
        // each other and both failed. Refused, the connection is closed, and its locks with it, and
        // the setup tried again until `waitMs` (`openFile`).
        db.run(`PRAGMA busy_timeout = ${exclusive ? 0 : waitMs}`)
        // Before the file is first read, so that in WAL mode the log's index lives in this process's
        // memory, not in a shared -shm file that every transaction locks (set after, a file in WAL
        // mode already got one).
        if (exclusive) db.run('PRAGMA locking_mode = EXCLUSIVE')
        // What a logout or an expiry deletes, and the old versions of saved records, are
        // overwritten in the file at the next checkpoint, not left in its free space (the
        // log's own copies go as it is reused).
        db.run('PRAGMA secure_delete = ON')
        // A file marked already was set up: it is only read, so that another process's write
        // transaction (stuck in its commit, a sqlite3 shell's) does not keep this one from starting.
        const marked = markedFormat(db)
        if (marked === undefined) {
            // These two must come before the first table. Records are small, and each commit
            // writes whole pages to the log: 1 KiB pages make a save about a quarter cheaper
            // than the default 4 KiB. Incremental vacuum lets sweeps give freed pages back.
            db.run('PRAGMA page_size = 1024')
            db.run('PRAGMA auto_vacuum = INCREMENTAL')
            checkFormat(db)
        } else refuseLater(marked)
        db.run('PRAGMA journal_mode = WAL')
        db.run(`PRAGMA synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
        // Checkpoints leave the -wal file at most this big instead of at its high-water mark.
        db.run('PRAGMA journal_size_limit = 16777216')
        db.run(SCHEMA)
        // The exclusive lock comes with the first write: take it now, so a file in use fails here.
        if (exclusive) db.run('BEGIN IMMEDIATE; COMMIT')
        return db
    } catch (error) {
        db.close()
        throw error
    }
}

/** The error a setup that failed with `error` throws. */
const setupError = (error: unknown, { path, exclusive }: SqliteStoreOptions) => {
    if (isBusy(error))
        return new ScopedStateSetupError(
            `sqliteStore: ${path} is locked by another connection (another process, or a store not yet closed)` +
                (exclusive ? '; a store with `exclusive` must have the file alone.' : '.')
        )
    // Said with the file's path: SQLite's own messages ("file is not a database") name none. And
    // where it could not open or write the file, why: its words for that say nothing of it.
    const code = String((error as { code?: string }).code)
    const problem = /^SQLITE_(CANTOPEN|READONLY)/.test(code) && !noFile(path) ? writeProblem(path) : undefined
    return new ScopedStateSetupError(
        `sqliteStore: cannot open ${path}: ${(error as Error).message}${problem ? ` (${problem})` : ''}`,
        { cause: error }
    )
}

/**
 * The store's file at `options.path`, opened and set up, its writes waiting `busyTimeout` for
 * another connection. Throws a `ScopedStateSetupError` that says why it cannot be.
 *
 * @example
 * const db = openFile({ path: './data/state.db', busyTimeout: 5_000 })
 */
export const openFile = (options: SqliteStoreOptions & { busyTimeout: number }) => {
    createPrivately(options.path)
    // Processes that start together on a new file set it up together, and the one that turns it
    // to WAL mode while another holds its setup's transaction is refused at once, not after
    // `busyTimeout` (SQLite's guard against two connections waiting for each other); a store with
    // `exclusive` waits for nothing inside SQLite (`setUp`). So a refusal is tried again, from the
    // start, until `busyTimeout` has passed.
    const deadline = performance.now() + options.busyTimeout
    for (;;) {
        try {
            const db = setUp(options, Math.max(0, Math.ceil(deadline - performance.now())))
            // A setup tried again waited what was left of `busyTimeout`; the store's writes wait all of it.
            db.run(`PRAGMA busy_timeout = ${options.busyTimeout}`)
            return db
        } catch (error) {
            const left = deadline - performance.now()
            if (!isBusy(error) || left <= 0) throw setupError(error, options)
            Bun.sleepSync(Math.min(setupPause(), left))
        }
    }
}
