/**
 * Separate `bun` processes of one app sharing one store (shared-process.fixture.ts), driven by
 * many clients at once, each request going to the next process in turn: what the docs promise
 * of processes sharing Redis, or a SQLite file. Two store objects in
 * one test process (end-session.test.ts) share what the process keeps for itself (its count of
 * writes, which has a request that awaited load its record again): real processes share only the
 * store. More load, to explore: REAL_PROCESSES_CLIENTS (a multiple of 3), REAL_PROCESSES_BURSTS,
 * REAL_PROCESSES_SEED.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

const startProcesses = (count: number, store: string) =>
    Promise.all(
        Array.from({ length: count }, () =>
            startServer({ command: [process.execPath, FIXTURE], env: { STORE: store, SESSION_SECRET: SECRET } })
        )
    )

/**
 * A handler that sends each request to the next of `servers()`, in turn, as a load balancer does;
 * and to the next again when one went away before it took the request: it refused the connection
 * (it left the turn, and the request waited for a connection in fetch's pool until it stopped
 * listening), or closed a kept-alive one as the request went out on it (a stop closes idle ones).
 * Were that request run all the same, the counts would find one increment more than answered 200.
 */
const inTurn = (servers: () => RunningServer[]) => {
    let next = 0
    const send = async (request: Request): Promise<Response> => {
        const list = servers()
        const server = list[next++ % list.length] as RunningServer
        try {
            return await fetch(new Request(request.url.replace(BASE, server.url), request), { redirect: 'manual' })
        } catch (error) {
            if (['ECONNREFUSED', 'ECONNRESET'].includes(String((error as { code?: string }).code))) return send(request)
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
