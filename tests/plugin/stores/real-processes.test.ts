/**
 * Separate `bun` processes of one app sharing one store (shared-process.fixture.ts), driven by
 * many clients at once, each request going to the next process in turn: what the docs promise
 * of processes sharing Redis, or a SQLite file. Two store objects in
 * one test process (end-session.test.ts) share what the process keeps for itself (its count of
 * writes, which has a request that awaited load its record again): real processes share only the
 * store. And one process of two on Redis killed (SIGKILL) while it holds sessions' locks: what the
 * lease promises. More load, to explore: REAL_PROCESSES_CLIENTS (a multiple of 3), REAL_PROCESSES_BURSTS,
 * REAL_PROCESSES_SEED.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { BASE, client, sessionIdOf, setCookieOf } from '../../helpers/client'
import { redisTest, useRedis } from '../../helpers/redis'
import { type RunningServer, startServer } from '../../helpers/server'
import { random } from '../../server/model/random'

const FIXTURE = join(import.meta.dir, 'shared-process.fixture.ts')
const SECRET = crypto.getRandomValues(Buffer.alloc(32)).toString('base64url')
const CLIENTS = Number(process.env.REAL_PROCESSES_CLIENTS ?? 24)
const BURSTS = Number(process.env.REAL_PROCESSES_BURSTS ?? 16)
const SEED = Number(process.env.REAL_PROCESSES_SEED ?? 1)
/** What a refused request may answer (docs: a collision or an ended session 409, the store busy 503). */
const REFUSALS = [409, 503]

const redis = useRedis()
const dir = mkdtempSync(join(tmpdir(), 'real-processes-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const startProcesses = (count: number, store: string, env: Record<string, string> = {}) =>
    Promise.all(
        Array.from({ length: count }, () =>
            startServer({ command: [process.execPath, FIXTURE], env: { STORE: store, SESSION_SECRET: SECRET, ...env } })
        )
    )

/**
 * A handler that sends each request to the next of `servers()`, in turn, as a load balancer does;
 * and to the next again when one went away before it took the request: it refused the connection
 * (it left the turn, and the request waited for a connection in fetch's pool until it stopped
 * listening), or closed a kept-alive one as the request went out on it (a stop closes idle ones).
 * Were that request run all the same, the counts would find one increment more than answered 200.
 * `resendOn` narrows that to some errors: a process killed may have run the request whose
 * connection it reset.
 */
const inTurn = (servers: () => RunningServer[], resendOn: readonly string[] = ['ECONNREFUSED', 'ECONNRESET']) => {
    let next = 0
    const send = async (request: Request): Promise<Response> => {
        const list = servers()
        const server = list[next++ % list.length] as RunningServer
        try {
            return await fetch(new Request(request.url.replace(BASE, server.url), request), { redirect: 'manual' })
        } catch (error) {
            if (resendOn.includes(String((error as { code?: string }).code))) return send(request)
            throw error
        }
    }
    return { handle: send }
}

interface Tally {
    /** The values the increments answered 200 with, per client. */
    answered: number[][]
    /** Every status other than 200. */
    refused: number[]
}

/** Reads `cookie`'s state from every process, bypassing the turn: `{ user, count }` each. */
const readEverywhere = async (servers: RunningServer[], cookie: string) =>
    Promise.all(
        servers.map(async (server) => {
            const response = await fetch(`${server.url}/read`, { headers: { cookie } })
            expect(response.status).toBe(200)
            return (await response.json()) as { user: string; count: number }
        })
    )

/**
 * The workload: every client signs in, then sends bursts of overlapping increments (each awaiting
 * 0–2 ms before its read and between its read and write) and reads; a read always finds the
 * client's own user. Then a third of them log out while a burst is in flight, and a third are
 * ended by another client, in another process, while a burst is in flight. Answers the tally and
 * each client's live cookie, with the cookies that ended.
 */
const drive = async (
    servers: () => RunningServer[],
    seed: number,
    /** Work done under the load (restarts), which goes on until it is done. */
    alongside: Promise<void> = Promise.resolve()
) => {
    const draw = random(seed)
    const users = Array.from({ length: CLIENTS }, () => client(inTurn(servers)))
    const tally: Tally = { answered: users.map(() => []), refused: [] }
    const ids: string[] = []
    await Promise.all(
        users.map(async (user, index) => {
            const login = await user.post(`/login/user-${index}`)
            expect(login.status).toBe(200)
            ids[index] = await login.text()
        })
    )
    type User = (typeof users)[number]
    const increment = async (user: User, index: number) => {
        const response = await user.post(`/increment?before=${draw.int(3)}&after=${draw.int(3)}`)
        const body = await response.text()
        if (response.status === 200) tally.answered[index]?.push(Number(body))
        else tally.refused.push(response.status)
    }
    const burst = (user: User, index: number) => Array.from({ length: 1 + draw.int(3) }, () => increment(user, index))
    // A login amid a burst (the form sent again) carries the count its session held then to the new id.
    const relogin = async (user: User, index: number) => {
        const login = await user.post(`/login/user-${index}`)
        if (login.status === 200) ids[index] = await login.text()
        else tally.refused.push(login.status)
    }
    let besideDone = false
    const beside = alongside.then(() => {
        besideDone = true
    })
    for (let round = 0; round < BURSTS || !besideDone; round++)
        await Promise.all(
            users.map(async (user, index) => {
                const again = draw.chance(0.25) ? [relogin(user, index)] : []
                const [read] = await Promise.all([user.get('/read'), ...burst(user, index), ...again])
                if (read.status !== 200) return tally.refused.push(read.status)
                // Sent with the old cookie beside a login that ended it, a read finds that session empty.
                const { user: found } = (await read.json()) as { user: string }
                expect(found === `user-${index}` || (again.length > 0 && found === '')).toBe(true)
            })
        )
    await beside
    const ended: string[] = []
    await Promise.all(
        users.map(async (user, index) => {
            if (index % 3 === 2) return await Promise.all(burst(user, index))
            const cookie = user.cookie
            ended.push(cookie)
            const end =
                index % 3 === 0
                    ? user.post('/logout')
                    : (users[index + 1] as ReturnType<typeof client>).post(`/end/${ids[index]}`)
            const [ending] = await Promise.all([end, ...burst(user, index)])
            expect(ending.status).toBe(200)
        })
    )
    const live = users.flatMap((user, index) => (index % 3 === 2 ? [{ index, cookie: user.cookie }] : []))
    return { tally, live, ended }
}

/**
 * Each increment answered 200 read the count the one before it wrote, logins carrying it on: the
 * values answered are 1 to their number. Not for a client the app ended: its next increment starts
 * a new session.
 */
const expectCountedOnce = (tally: Tally) => {
    for (const [index, answered] of tally.answered.entries())
        if (index % 3 !== 1) expect(answered.toSorted((a, b) => a - b)).toEqual(answered.map((_, at) => at + 1))
}

/** How many increments of client `index` answered 200. */
const countedOf = (tally: Tally, index: number) => tally.answered[index]?.length ?? 0

/** Each live client's state reads in every process as its own, its count that of its increments answered 200. */
const expectLiveCounted = async (servers: RunningServer[], live: { index: number; cookie: string }[], tally: Tally) => {
    for (const { index, cookie } of live)
        for (const state of await readEverywhere(servers, cookie))
            expect(state).toEqual({ user: `user-${index}`, count: countedOf(tally, index) })
}

/** Every refusal was a documented one. */
const expectDocumentedRefusals = (tally: Tally) => {
    for (const status of tally.refused) expect(REFUSALS).toContain(status)
}

/**
 * An ended session's cookie reads a fresh session in every process, and a change sent with it is
 * refused (409, in its grace minute) or made in a new session, never saved under the ended id.
 */
const expectEndedEverywhere = async (servers: RunningServer[], ended: string[]) => {
    for (const cookie of ended) {
        for (const state of await readEverywhere(servers, cookie)) expect(state).toEqual({ user: '', count: 0 })
        for (const server of servers) {
            const change = await fetch(`${server.url}/increment`, { method: 'POST', headers: { cookie } })
            if (change.status === 200) expect(sessionIdOf(setCookieOf(change))).not.toBe(sessionIdOf(cookie))
            else expect(change.status).toBe(409)
        }
        for (const state of await readEverywhere(servers, cookie)) expect(state).toEqual({ user: '', count: 0 })
    }
}

const stopAll = (servers: RunningServer[]) => Promise.all(servers.map((server) => server.stop()))

/**
 * `processes` processes of the app on `store` under the workload: every increment answered 200 is
 * counted once, and no ended session comes back. Then all of them stop (`crash`: killed at once)
 * and `restarted` new ones find the same, from the store alone.
 */
const sharedStoreHolds = async (
    store: string,
    seed: number,
    { processes, restarted, crash }: { processes: number; restarted: number; crash: boolean }
) => {
    let servers = await startProcesses(processes, store)
    try {
        const { tally, live, ended } = await drive(() => servers, seed)
        expectDocumentedRefusals(tally)
        expectCountedOnce(tally)
        await expectLiveCounted(servers, live, tally)
        await expectEndedEverywhere(servers, ended)
        if (crash) for (const server of servers) server.child.kill('SIGKILL')
        await stopAll(servers)
        servers = await startProcesses(restarted, store)
        await expectEndedEverywhere(servers, ended)
        await expectLiveCounted(servers, live, tally)
    } finally {
        await stopAll(servers)
    }
}

redisTest('processes sharing Redis count every increment answered 200 once, and ended sessions stay ended', () =>
    sharedStoreHolds(redis().url, SEED, { processes: 3, restarted: 2, crash: false })
)

// What the users saw survives a crash: each commit returned before its response.
test('processes sharing a SQLite file count every increment answered 200 once, and ended sessions stay ended, through a crash too', () =>
    sharedStoreHolds(`sqlite:${join(dir, 'shared.db')}`, SEED + 1, { processes: 2, restarted: 2, crash: true }))

/**
 * A rolling deploy: the process at `at` leaves the turn (a load balancer draining it), its
 * successor joins, then it stops (SIGTERM: its requests in flight finish, its store closes).
 */
const replace = async (servers: RunningServer[], at: number, store: string) => {
    const [successor] = await startProcesses(1, store)
    const leaving = servers[at] as RunningServer
    servers[at] = successor as RunningServer
    await leaving.stop()
}

/**
 * `processes` processes of the app on `store`, each replaced in turn under the workload: every
 * increment answered 200 is counted once, and the live sessions read as counted everywhere.
 */
const rollingRestartHolds = async (store: string, processes: number, seed: number) => {
    const servers = await startProcesses(processes, store)
    const rolling = (async () => {
        for (const at of servers.keys()) await replace(servers, at, store)
    })()
    try {
        const { tally, live } = await drive(() => servers, seed, rolling)
        expectDocumentedRefusals(tally)
        expectCountedOnce(tally)
        await expectLiveCounted(servers, live, tally)
    } finally {
        // Its successors too, when the load failed first.
        await rolling.catch(() => {})
        await stopAll(servers)
    }
}

redisTest('a rolling restart under load: every 200 counted once, nothing lost', () =>
    rollingRestartHolds(redis().url, 3, SEED + 2)
)

// A process's store closes (its final checkpoint) while the other serves, and its successor opened the file just before.
test('a rolling restart of processes sharing a SQLite file under load: every 200 counted once, nothing lost', () =>
    rollingRestartHolds(`sqlite:${join(dir, 'rolling.db')}`, 2, SEED + 3))

/**
 * Lock timings short enough to wait out a lease in seconds: a request waits 250 ms for a session's
 * lock, and a lock outlives its dead holder 3 s (more than lockTimeout + commandTimeout, 1.75 s).
 */
const SHORT_LOCKS = { LOCK_TIMEOUT: '250', LOCK_LEASE: '3000' }
const LEASE = Number(SHORT_LOCKS.LOCK_LEASE)
/** Bounds each wait of the kill test, many leases long, only so that it fails instead of hanging. */
const GIVE_UP = LEASE * 4
/** What the plugin answers a request whose session another request kept locked past `lockTimeout`. */
const BUSY = 'Another request of this session is still being handled'

type Client = ReturnType<typeof client>

/** One client's increments: the counts answered 200, the other answers, and how many got none (their process died). */
interface Sent {
    answered: number[]
    refused: { status: number; body: string }[]
    lost: number
}

const nothingSent = (): Sent => ({ answered: [], refused: [], lost: 0 })

/** Sends an increment (`path`) with `user` and notes its answer in `into`: answers its status, 0 for none. */
const incrementNoted = async (user: Client, into: Sent, path = '/increment') => {
    try {
        const response = await user.post(path)
        const body = await response.text()
        if (response.status === 200) into.answered.push(Number(body))
        else into.refused.push({ status: response.status, body })
        return response.status
    } catch {
        into.lost++
        return 0
    }
}

/** Resolves once `holds` does; fails saying `what` did not happen after `GIVE_UP` ms. */
const until = async (holds: () => Promise<boolean>, what: string) => {
    for (const deadline = performance.now() + GIVE_UP; !(await holds()); await Bun.sleep(10))
        if (performance.now() > deadline) throw new Error(`${what} did not happen within ${GIVE_UP} ms`)
}

/** An answer of the surviving process to a session the dead one held, and whether its lock still held the dead one's token after it. */
interface Answer {
    status: number
    body: string
    deadStillHeld: boolean
}

/**
 * Sends increments of `user`, whose lock `lock` holds the dead process's `token`, one after another
 * until two are answered 200: the answers. Fails, with the lock's remaining life, when the session is
 * still refused after `GIVE_UP` ms: the lock outlived its lease.
 */
const recovery = async (admin: RedisClient, user: Client, lock: string, token: string) => {
    const answers: Answer[] = []
    for (const deadline = performance.now() + GIVE_UP; answers.filter(({ status }) => status === 200).length < 2; ) {
        if (performance.now() > deadline)
            throw new Error(
                `${lock} was still refused ${GIVE_UP} ms after its holder died (lease ${LEASE} ms): ` +
                    `${JSON.stringify(answers.map(({ status }) => status))}, the lock's PTTL ${await admin.send('PTTL', [lock])} ms`
            )
        const response = await user.post('/increment')
        const body = await response.text()
        answers.push({ status: response.status, body, deadStillHeld: (await admin.get(lock)) === token })
    }
    return answers
}

/** The counts of `sent`, one after another, 1 to their number: each increment answered 200 counted once, none besides. */
const expectExactlyCounted = (sent: Sent, count: number) => {
    expect(sent.answered).toEqual(sent.answered.map((_, at) => at + 1))
    expect(count).toBe(sent.answered.length)
}

/** `user`'s count, as `server` reads it. */
const countOn = async (server: RunningServer, user: Client) =>
    (await readEverywhere([server], user.cookie))[0]?.count ?? -1

/**
 * Two processes on one Redis, clients sending increments to both; one process is killed (SIGKILL)
 * while a request of each of three sessions waits in its handler there, its lock taken. What
 * docs/stores.md says of the lease: the other process answers those sessions 503 (after
 * `lockTimeout`, not the lease) until the lease ends, then as usual, having lost and doubled
 * nothing; a session the dead process did not hold is not held up; no lock is left.
 */
redisTest(
    'a process killed while it holds sessions: 503 for them elsewhere until the lease ends, then 200; every 200 counted once, no other session held up, no lock left',
    async () => {
        const admin = new RedisClient(redis().url)
        const [dying, survivor] = (await startProcesses(2, redis().url, SHORT_LOCKS)) as [RunningServer, RunningServer]
        let servers = [dying, survivor]
        // A load balancer sends a request to the next process when the connection is refused, never when it resets.
        const balanced = () => client(inTurn(() => servers, ['ECONNREFUSED']))
        /** Their sessions are held in the dying process's handlers as it dies. */
        const held = Array.from({ length: 3 }, balanced)
        /** Sent to both processes in turn throughout: caught by the kill when their request was in the dying one. */
        const moving = Array.from({ length: 3 }, balanced)
        /** Sent to the survivor only: sessions the dead process never held. */
        const steady = Array.from({ length: 3 }, () => client(inTurn(() => [survivor])))
        const [heldSent, movingSent, steadySent] = [held, moving, steady].map((users) => users.map(nothingSent)) as [
            Sent[],
            Sent[],
            Sent[]
        ]
        let recovered = false
        let aborted = false
        // Until the held sessions recovered, and then up to a 200, so that every session's lock was taken since.
        // Each 10 ms in its handler, its lock held: the kill may catch one there.
        const keepSending = async (user: Client, into: Sent) => {
            for (let status = 0; !aborted && !(recovered && status === 200); )
                status = await incrementNoted(user, into, '/increment?after=10')
        }
        const traffic = Promise.all([
            ...moving.map((user, at) => keepSending(user, movingSent[at] as Sent)),
            ...steady.map((user, at) => keepSending(user, steadySent[at] as Sent))
        ])
        try {
            for (let round = 0; round < 4; round++)
                await Promise.all(held.map((user, at) => incrementNoted(user, heldSent[at] as Sent)))
            const holding = held.map((user) =>
                fetch(`${dying.url}/increment?after=${GIVE_UP * 10}`, {
                    method: 'POST',
                    headers: { cookie: user.cookie }
                }).then(
                    (response) => response.status,
                    () => 'no answer'
                )
            )
            const locks = held.map((user) => `scoped-state:lock:${sessionIdOf(user.cookie)}`)
            await until(async () => (await admin.send('EXISTS', locks)) === locks.length, 'the held requests locking')
            const tokens = (await Promise.all(locks.map((lock) => admin.get(lock)))) as string[]
            dying.child.kill('SIGKILL')
            await dying.child.exited
            servers = [survivor]
            expect(await Promise.all(holding)).toEqual(held.map(() => 'no answer'))

            const answers = await Promise.all(
                held.map((user, at) => recovery(admin, user, locks[at] as string, tokens[at] as string))
            )
            recovered = true
            for (const [at, sessionAnswers] of answers.entries()) {
                const statuses = sessionAnswers.map(({ status }) => status)
                const firstServed = statuses.indexOf(200)
                expect(firstServed).toBeGreaterThan(0)
                expect(statuses).toEqual(statuses.map((_, index) => (index < firstServed ? 503 : 200)))
                // Refused while the dead process's lock still held: after lockTimeout, not the lease.
                expect(sessionAnswers[0]?.deadStillHeld).toBe(true)
                for (const { status, body, deadStillHeld } of sessionAnswers) {
                    if (status === 503) expect(body).toContain(BUSY)
                    if (deadStillHeld) expect(status).toBe(503)
                }
                const served = sessionAnswers.filter(({ status }) => status === 200).map(({ body }) => Number(body))
                ;(heldSent[at] as Sent).answered.push(...served)
            }
            await traffic

            expect(await admin.send('KEYS', ['scoped-state:lock:*'])).toEqual([])
            for (const [at, user] of held.entries()) {
                expect(heldSent[at]).toMatchObject({ refused: [], lost: 0 })
                expectExactlyCounted(heldSent[at] as Sent, await countOn(survivor, user))
            }
            for (const [at, user] of steady.entries()) {
                expect(steadySent[at]).toMatchObject({ refused: [], lost: 0 })
                expectExactlyCounted(steadySent[at] as Sent, await countOn(survivor, user))
            }
            for (const [at, user] of moving.entries()) {
                const { answered, refused, lost } = movingSent[at] as Sent
                // Held up only when a request of it was in the dying process: its session then one that process held.
                if (lost === 0) expect(refused).toEqual([])
                for (const { status, body } of refused)
                    expect({ status, busy: body.includes(BUSY) }).toEqual({ status: 503, busy: true })
                // An increment that got no answer may have been counted, once; every one answered 200 was, once.
                const count = await countOn(survivor, user)
                expect(answered).toEqual(answered.toSorted((a, b) => a - b))
                expect(new Set(answered).size).toBe(answered.length)
                expect(answered.at(-1)).toBe(count)
                expect(count - answered.length).toBeLessThanOrEqual(lost)
            }
        } finally {
            aborted = true
            await traffic.catch(() => {})
            admin.close()
            await stopAll([dying, survivor])
        }
    }
)
