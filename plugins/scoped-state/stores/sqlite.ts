/**
 * The SQLite store: sessions in one file that survives restarts and crashes, for the app
 * processes of one machine, with marks of the sessions that logins and logouts ended; expired
 * rows are swept in small steps so that requests go in between.
 */
import type { SQLQueryBindings, Statement } from 'bun:sqlite'
import { resolve } from 'node:path'
import { ENDED_GRACE } from '../ended-ids.js'
import { SessionEndedError } from '../errors.js'
import { endedAgo, type Store, type StoreStats, StoreUnavailableError } from '../store.js'
import { timerDelay } from '../whole-number.js'
import { expiryListener, type OnExpire } from './expiry-listener.js'
import { fileAt, isBusy, noFile, openFile } from './sqlite-file.js'

export interface SqliteStoreOptions {
    /**
     * Database file, created with its schema on first use, readable by its owner only;
     * its directory must exist.
     * The processes of one machine may share it (not with `exclusive`): each commit that
     * writes is one transaction (`atomically`). Not over a network file system, whose
     * processes share no memory for SQLite's log index: use the Redis store across machines.
     */
    path: string
    /**
     * `'normal'` commits to the write-ahead log without waiting for the disk: a saved
     * state survives a crash of the process (kill -9), but the last writes may be lost
     * to a power cut or OS crash. `'full'` syncs the log on every commit and survives
     * those too, at about 7× the cost of a write (measured in the template's docs/stores.md).
     * @default 'normal'
     */
    synchronous?: 'full' | 'normal' | undefined
    /**
     * How often expired sessions are deleted and their pages handed back to the file
     * system, in milliseconds. The timer is unref'd and stops with `close()`.
     * @default 60_000
     */
    sweepInterval?: number | undefined
    /**
     * Holds the file for this store alone until `close()`: reads and writes then take
     * no file locks, which makes a load about 3× and a save about 2× cheaper (see
     * the template's docs/stores.md). But nothing else can open the file meanwhile: no other process,
     * no `sqlite3` shell, no backup or replication tool (Litestream), and no second
     * store in this process (`bun --hot` reopens it so: use `--watch`). Opening a file
     * that is held waits `busyTimeout`, then throws a `ScopedStateSetupError`.
     * @default false
     */
    exclusive?: boolean | undefined
    /**
     * How long, in milliseconds, a write waits for another connection that holds the file,
     * and opening for one that keeps it from opening: a store with `exclusive` (when this
     * store has `exclusive`, any other connection), or another process setting up a new
     * file. SQLite waits synchronously, so the whole process waits with it: after one write
     * gave up, writes give up at once (503) until one gets through.
     * @default 5_000
     */
    busyTimeout?: number | undefined
    /**
     * Called with the id of each session whose TTL passed, once this store deleted its row:
     * by the sweep (up to `sweepInterval` late), or by a `load` that met it first (inside a
     * commit's transaction, once that commits; `'expired'` always: nothing is evicted). Not for
     * the deletes the plugin asks for (login, logout, `endScopedSession`). Each deletion is told
     * once, by the connection that made it; one lost to a crash between the two is never told. A
     * throw is logged once, and the store goes on.
     * @default nothing
     */
    onExpire?: OnExpire | undefined
    /**
     * Clock, for tests.
     * @default Date.now
     */
    now?: (() => number) | undefined
}

/**
 * Records are kept for `ttl` to `ttl × (1 + SLACK)`: a read or a save rewrites the
 * expiry only once the record is within `ttl` of it, i.e. at most once per
 * `ttl × SLACK`. So reading a session almost never writes, and a save leaves the
 * expiry index alone, which makes it a third cheaper.
 */
const SLACK = 0.1

/**
 * Rows deleted, and pages handed back, per step of a sweep. A statement blocks the process
 * while it runs, and a flood's sessions expire together: 200 000 rows took 0.8 s to delete
 * and 0.5 s to hand back at once. A step takes about 10 ms, and requests go in between.
 */
const SWEEP_ROWS = 1_000
const VACUUM_PAGES = 500

/** Resolves once the requests waiting on the event loop had their turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

interface Row {
    record: string
    expires: number
}

/**
 * How long a deleted session's mark is kept when `delete` is not told how long its cookie may be
 * sent (an app's own delete), in milliseconds: the plugin's grace minute.
 */
const ENDED_MARK = ENDED_GRACE * 1000

/** The SQLite store, and what only a file has. */
export interface SqliteStore extends Store {
    /**
     * Writes the log into the file and empties it. A deleted or overwritten record is overwritten
     * in the file (`secure_delete`) only then, and until then the -wal keeps its copy: call it after
     * ending the sessions of a person who asked to be erased, once the response is out (the request's
     * own session is deleted after its handler). Answers `false` at once when a reader (a
     * backup, a `sqlite3` shell) still uses part of the log, or another connection is writing:
     * call it again once that reader is done. A file that cannot be written throws
     * `StoreUnavailableError`.
     */
    checkpoint(): boolean
}

/**
 * State in one SQLite file (`bun:sqlite`, WAL mode): it survives restarts and
 * crashes. Each changed state is committed before its response is sent. The record
 * is the plugin's JSON string, stored as-is in a TEXT column.
 *
 * @example
 * scopedState(setup, { store: sqliteStore({ path: './data/state.db' }) })
 */
export const sqliteStore = (options: SqliteStoreOptions): SqliteStore => {
    const { now = Date.now } = options
    const onExpire = expiryListener('sqliteStore', options.onExpire)
    const sweepInterval = timerDelay('sqliteStore', 'sweepInterval', options.sweepInterval ?? 60_000)
    const busyTimeout = timerDelay('sqliteStore', 'busyTimeout', options.busyTimeout ?? 5_000, 0)
    const db = openFile({ ...options, busyTimeout })
    // Resolved now, as SQLite did: a later `process.chdir` would make a relative path name another file.
    const path = resolve(options.path)
    const opened = noFile(options.path) ? 'none' : fileAt(path)
    /**
     * SQLite goes on writing to the file it opened when another takes its path (a rename, a
     * delete, a copy renamed over it): what is saved then is lost at the next start. Checked by
     * `stats` (so /healthz answers 503) and each sweep (a warning), not per request. (A copy
     * written over the file itself, `cp` onto it, keeps its inode and goes unseen.)
     */
    const fileProblem = () => {
        if (opened === undefined || opened === 'none') return undefined
        const current = fileAt(path)
        if (current === undefined || current === opened) return undefined
        return (
            `${options.path} is no longer the file this store opened (moved, deleted or replaced while in use): ` +
            'what is saved now is lost at the next start. Put it back, or stop the app before you restore a copy.'
        )
    }
    const statements: Statement[] = []
    const prepare = <R = unknown, P extends SQLQueryBindings[] = string[]>(sql: string) => {
        const statement = db.prepare<R, P>(sql)
        statements.push(statement as unknown as Statement)
        return statement
    }
    const select = prepare<Row>('SELECT record, expires FROM scoped_state WHERE id = ?')
    /**
     * Nothing is saved under an id that a delete ended, nor as a login's new id from one (?6), while
     * its mark lasts (?7: now) and it has no row, as `load` reads it: another process sharing the file
     * may end the session between the plugin's load of the record and this save (`endScopedSession`, a
     * logout), an end the save would undo, signed in again everywhere. (A row beside a mark was taken
     * back by a version without marks, and loads as a live session.) A file held `exclusive` has no
     * other process, and this one's ends the plugin checks itself: the lookup, about 2 µs of a save
     * (docs/stores.md), is left out (its values bound all the same).
     */
    const unended = options.exclusive
        ? '?6 IS NOT NULL AND ?7 IS NOT NULL'
        : `NOT EXISTS (SELECT 1 FROM scoped_state_ended AS ended WHERE ended.id IN (?1, ?6) AND ended.expires > ?7
               AND NOT EXISTS (SELECT 1 FROM scoped_state WHERE id = ended.id))`
    const upsert = prepare<unknown, [string, string, number, number, number, string, number]>(
        `INSERT INTO scoped_state (id, record, expires) SELECT ?1, ?2, ?3 WHERE ${unended}
         ON CONFLICT (id) DO UPDATE SET record = excluded.record,
             expires = CASE WHEN expires < ?4 OR expires > ?5 THEN excluded.expires ELSE expires END`
    )
    const extend = prepare<unknown, [number, string]>('UPDATE scoped_state SET expires = ? WHERE id = ?')
    const remove = prepare('DELETE FROM scoped_state WHERE id = ?')
    // Not a row another connection saved again since the read that found it expired.
    const removeIfExpired = prepare<unknown, [string, number]>('DELETE FROM scoped_state WHERE id = ? AND expires <= ?')
    const truncateLog = prepare<{ busy: number }, []>('PRAGMA wal_checkpoint(TRUNCATE)')
    // A session deleted at a login or logout leaves a mark, as on Redis, which outlives the process:
    // after a restart its old cookie is still known as ended (a grace minute of refusals, then a
    // new session), instead of being taken back under the old id, its state gone. An app's end is
    // dated back past that minute (`agoMs`). A session ended again keeps its first end (unless that
    // mark lapsed at ?4, now), and the longer of the two lives.
    const markEnded = prepare<unknown, [string, number, number, number]>(
        `INSERT INTO scoped_state_ended (id, ended, expires) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET ended = CASE WHEN expires > ?4 THEN ended ELSE excluded.ended END,
             expires = max(expires, excluded.expires)`
    )
    const endOf = prepare<{ ended: number }, [string, number]>(
        'SELECT ended FROM scoped_state_ended WHERE id = ? AND expires > ?'
    )
    const end = db.transaction((id: string, time: number, ttlMs: number, agoMs: number) => {
        remove.run(id)
        markEnded.run(id, time - agoMs, time + Math.max(ttlMs, ENDED_MARK), time)
    })
    const begin = prepare<unknown, []>('BEGIN IMMEDIATE')
    const commit = prepare<unknown, []>('COMMIT')
    const rollback = prepare<unknown, []>('ROLLBACK')
    const removeExpired = (table: string, returning = '') =>
        prepare<unknown, [number]>(
            `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires <= ? LIMIT ${SWEEP_ROWS})${returning}`
        )
    // The ids a step deleted, for `onExpire` only (they make a step a third slower): each is told
    // by the connection that deleted it, and only by it.
    const removeExpiredSessions = removeExpired('scoped_state', onExpire ? ' RETURNING id' : '')
    const removeExpiredMarks = removeExpired('scoped_state_ended')
    const freePages = prepare<{ freelist_count: number }, []>('PRAGMA freelist_count')
    const freeCount = () => freePages.get()?.freelist_count ?? 0
    const count = prepare<{ sessions: number }, [number]>(
        'SELECT count(*) AS sessions FROM scoped_state WHERE expires > ?'
    )
    let expirations = 0
    /**
     * The rows a `load` inside `atomically`'s transaction found expired and deleted: counted and
     * told once the transaction commits, not at the load. Undone with it (a 409, a failed save),
     * the row is back, and the sweep or a later load would tell its expiry a second time.
     */
    const expiredInTransaction: string[] = []
    const expired = (id: string) => {
        expirations++
        onExpire?.(id, 'expired')
    }

    /** Whether writes wait `busyTimeout` for another connection's lock (see the option). */
    let waiting = true
    const wait = (on: boolean) => {
        waiting = on
        db.run(`PRAGMA busy_timeout = ${on ? busyTimeout : 0}`)
    }
    /** A write got through: the file is free again, so later writes may wait for it. */
    const wrote = () => {
        if (!waiting) wait(true)
    }
    /** Runs a database call, turning its failures (disk full, file locked, I/O error) into a 503. */
    const guard = <T>(call: () => T, writes = false): T => {
        try {
            const result = call()
            if (writes) wrote()
            return result
        } catch (error) {
            if (waiting && isBusy(error)) wait(false)
            throw new StoreUnavailableError(`SQLite: ${(error as Error).message}`, { cause: error })
        }
    }

    /**
     * A write a read makes on the side (its expiry kept up, an expired row deleted). When the file
     * refuses it (a full disk, a lock held elsewhere), the read answers all the same: a user back
     * after a day, whose read extends the expiry, got 503 for a page that saves nothing. The row
     * keeps its old expiry, still ahead, until a later read or save writes it. Answers whether it
     * was written.
     */
    const writeAside = (write: () => void) => {
        try {
            guard(write, true)
            return true
        } catch {
            return false
        }
    }

    /** The expiry a read or a save writes at `time` (one clock read per call of the store). */
    const expiry = (time: number, ttlMs: number) => Math.ceil(time + ttlMs * (1 + SLACK))
    /**
     * Past this, an expiry was written while the clock ran ahead (a server that started with a
     * wrong one): a read or a save writes it again, else the row would outlive its TTL by as much.
     */
    const ahead = (time: number, ttlMs: number) => time + ttlMs * (1 + 2 * SLACK)

    /**
     * Closing checkpoints the log into the file, but says nothing when it cannot (a full disk):
     * the -wal then holds the latest saves, and the file alone is behind, or corrupt. An operator
     * told "close removes the -wal" would copy the file alone, or delete the -wal. Passive: a
     * reader holding the file (a backup) is no failure, and the app's stop must not wait for it.
     */
    const checkpointBeforeClose = () => {
        if (noFile(options.path)) return
        try {
            db.run('PRAGMA wal_checkpoint(PASSIVE)')
        } catch (error) {
            console.warn(
                `scopedState: closing ${options.path} could not write its log into it (${(error as Error).message}): ` +
                    `${options.path}-wal holds the latest saves. Keep it beside the file, which is behind without it, ` +
                    "and copy the database with sqlite3's VACUUM INTO, not cp."
            )
        }
    }

    let sweeping = false
    let closed = false
    /**
     * Runs `deleteStep`, which deletes up to `SWEEP_ROWS` expired rows and answers how many, until
     * fewer are left, letting requests in between; answers how many it deleted.
     */
    const sweepRows = async (deleteStep: () => number) => {
        let removed = 0
        let step = SWEEP_ROWS
        while (step === SWEEP_ROWS && !closed) {
            step = deleteStep()
            removed += step
            await nextTurn()
        }
        return removed
    }
    // Through the guard: while another connection holds the file, a sweep waits no more than a write.
    const deleteExpiredMarks = () => guard(() => removeExpiredMarks.run(now()).changes, true)
    /** Counted at once, as `stats` reports them as they go, and told to `onExpire`. */
    const deleteExpiredSessions = () => {
        if (!onExpire) {
            const deleted = guard(() => removeExpiredSessions.run(now()).changes, true)
            expirations += deleted
            return deleted
        }
        const deleted = guard(() => removeExpiredSessions.values(now()), true)
        expirations += deleted.length
        for (const [id] of deleted) onExpire(id as string, 'expired')
        return deleted.length
    }
    const sweep = async () => {
        if (sweeping) return
        sweeping = true
        try {
            const problem = fileProblem()
            if (problem) console.warn(`scopedState: ${problem}`)
            const removed = (await sweepRows(deleteExpiredSessions)) + (await sweepRows(deleteExpiredMarks))
            // Until no page is free, or none was handed back: a file made elsewhere may lack incremental vacuum.
            let free = removed > 0 && !closed ? freeCount() : 0
            while (free > 0 && !closed) {
                guard(() => db.run(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`), true)
                await nextTurn()
                const left = closed ? 0 : freeCount()
                free = left < free ? left : 0
            }
        } catch (error) {
            // SQLite's own words: the guard's error would add "Session store unavailable: SQLite:".
            const reason = error instanceof StoreUnavailableError ? error.cause : error
            console.warn(`scopedState: sweeping the SQLite store failed: ${(reason as Error).message}`)
        } finally {
            sweeping = false
        }
    }
    const timer = setInterval(sweep, sweepInterval)
    timer.unref()

    /**
     * A commit as one transaction (`Store.atomically`), so that no other process writes between its
     * load and its save. Not with `exclusive`, where there is none: the two statements more cost a
     * save about 0.8 µs, where on a shared file the load's own transaction they save costs more.
     * IMMEDIATE: a transaction that reads first, then writes, would fail at its first write
     * (SQLITE_BUSY, without waiting) when another process wrote since its read.
     */
    const atomically = options.exclusive
        ? undefined
        : <T>(writes: () => T): T => {
              guard(() => begin.run(), true)
              try {
                  const result = writes()
                  guard(() => commit.run(), true)
                  for (const id of expiredInTransaction) expired(id)
                  return result
              } catch (error) {
                  // Unless SQLite undid it already (a statement that failed inside it).
                  if (db.inTransaction) rollback.run()
                  throw error
              } finally {
                  expiredInTransaction.length = 0
              }
          }

    return {
        synchronous: true,
        load: (id, ttlMs) =>
            guard(() => {
                const row = select.get(id)
                const time = now()
                if (!row) {
                    const mark = endOf.get(id, time)
                    return mark ? endedAgo(Math.max(0, time - mark.ended)) : undefined
                }
                if (row.expires <= time) {
                    // Neither counted nor told unless deleted here: a refused write leaves it to the
                    // sweep, and a row another connection deleted first is that one's to tell.
                    let deleted = false
                    writeAside(() => {
                        deleted = removeIfExpired.run(id, time).changes > 0
                    })
                    if (deleted) {
                        if (db.inTransaction) expiredInTransaction.push(id)
                        else expired(id)
                    }
                    return undefined
                }
                if (row.expires < time + ttlMs || row.expires > ahead(time, ttlMs))
                    writeAside(() => extend.run(expiry(time, ttlMs), id))
                return row.record
            }),
        save: (id, record, ttlMs, from = id) => {
            const written = guard(() => {
                const time = now()
                return upsert.run(id, record, expiry(time, ttlMs), time + ttlMs, ahead(time, ttlMs), from, time).changes
            }, true)
            if (written === 0) throw new SessionEndedError()
        },
        atomically,
        // No write on the side, as `load` makes: a read for the app is no use of the session.
        peek: (id) =>
            guard(() => {
                const row = select.get(id)
                return row && row.expires > now() ? row.record : undefined
            }),
        release() {},
        delete: (id, ttlMs = ENDED_MARK, agoMs = 0) => guard(() => end(id, now(), ttlMs, Math.floor(agoMs)), true),
        // Without waiting: TRUNCATE waits for a reader through the busy handler, and with it the
        // whole process (5 s per call while a backup reads, which it outlasts). Not waiting, it
        // writes back what no reader needs and answers busy.
        checkpoint: () =>
            guard(() => {
                db.run('PRAGMA busy_timeout = 0')
                try {
                    return truncateLog.get()?.busy === 0
                } finally {
                    db.run(`PRAGMA busy_timeout = ${waiting ? busyTimeout : 0}`)
                }
            }, true),
        // Counts the live rows: about 70 ms at a million, the process waiting. A public health
        // check should reuse one answer for a while (the template's /healthz: 5 s).
        stats: (): StoreStats => {
            const problem = fileProblem()
            if (problem) throw new StoreUnavailableError(`SQLite: ${problem}`)
            return { sessions: guard(() => count.get(now())?.sessions ?? 0), evictions: 0, expirations }
        },
        close() {
            // A second close must not throw, nor warn of a checkpoint on a closed connection.
            if (closed) return
            closed = true
            clearInterval(timer)
            // Unfinalized statements would keep the connection open and skip the final checkpoint.
            for (const statement of statements) statement.finalize()
            checkpointBeforeClose()
            db.close()
        }
    }
}
