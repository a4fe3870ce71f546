/**
 * The README's rotation of SESSION_SECRET across instances (its security model), on two real
 * servers sharing a SQLite file, each replaced in turn while the other serves: `OLD,NEW`
 * everywhere, then `NEW,OLD`, then `NEW` alone; and what signing with NEW too early does.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { client, countOf, overHttp } from '../helpers/client'
import { type RunningServer, serversWithFolder } from '../helpers/server'

const OLD = 'the-old-secret-that-is-32-bytes-long!'
const NEW = 'the-new-secret-that-is-32-bytes-long!'

const { dir, start: startServer } = serversWithFolder('secret-rotation-')

/** Two instances on one SQLite file, each replaced by `deploy` (its successor started before it stops). */
const instances = async (file: string, secrets: [string, string]) => {
    const start = async (secret: string) => {
        const env = { NODE_ENV: 'test', SESSION_SECRET: secret, SCOPED_STATE_STORE: `sqlite:${join(dir, file)}` }
        return startServer({ env })
    }
    const servers = await Promise.all(secrets.map(start))
    return {
        at: (nth: 0 | 1) => servers[nth] as RunningServer,
        async deploy(nth: 0 | 1, secret: string) {
            const previous = servers[nth] as RunningServer
            servers[nth] = await start(secret)
            await previous.stop()
        }
    }
}

/** A browser whose requests go to whichever instance the proxy picks: `at(server)`. */
const browser = () => {
    let target: RunningServer | undefined
    const user = client({ handle: (request) => overHttp(Number(new URL(target?.url ?? '').port)).handle(request) })
    return {
        at(server: RunningServer) {
            target = server
            return user
        }
    }
}
type Browser = ReturnType<typeof browser>

/** Increments `who`'s counter on `server`: the count it answers, and whether it sent a cookie. */
const increment = async (who: Browser, server: RunningServer) => {
    const response = await who.at(server).post('/api/increment')
    expect(response.status).toBe(200)
    return { count: await countOf(response), signedAgain: response.headers.has('set-cookie') }
}

test('OLD,NEW everywhere, then NEW,OLD, then NEW: a cookie of either keeps its state on both instances at every step', async () => {
    const pair = await instances('rotated.db', [OLD, OLD])
    const early = browser()
    let earlyCount = 0
    /** `early`, whose cookie OLD signed, increments on both instances; it is never signed again. */
    const earlyKeepsItsState = async () => {
        for (const nth of [0, 1] as const) {
            const { count, signedAgain } = await increment(early, pair.at(nth))
            expect(count).toBe(++earlyCount)
            if (earlyCount > 1) expect(signedAgain).toBe(false)
        }
    }
    await earlyKeepsItsState()

    for (const nth of [0, 1] as const) {
        await pair.deploy(nth, `${OLD},${NEW}`)
        await earlyKeepsItsState()
    }

    await pair.deploy(0, `${NEW},${OLD}`)
    await earlyKeepsItsState()
    // A new session, its cookie signed with NEW: the other instance, still signing with OLD, verifies it.
    const late = browser()
    expect(await increment(late, pair.at(0))).toEqual({ count: 1, signedAgain: true })
    expect(await increment(late, pair.at(1))).toEqual({ count: 2, signedAgain: false })

    await pair.deploy(1, `${NEW},${OLD}`)
    await earlyKeepsItsState()
    expect(await increment(late, pair.at(0))).toEqual({ count: 3, signedAgain: false })
    expect(await increment(late, pair.at(1))).toEqual({ count: 4, signedAgain: false })

    // OLD dropped before its cookies expired: their users start over; NEW's keep their state.
    for (const nth of [0, 1] as const) await pair.deploy(nth, NEW)
    expect(await increment(late, pair.at(0))).toEqual({ count: 5, signedAgain: false })
    expect(await increment(late, pair.at(1))).toEqual({ count: 6, signedAgain: false })
    expect(await increment(early, pair.at(0))).toEqual({ count: 1, signedAgain: true })
}, 60_000)

test('an instance signing with NEW before the other verifies it: its users start over on the other', async () => {
    const pair = await instances('too-early.db', [OLD, `${NEW},${OLD}`])
    const user = browser()
    expect(await increment(user, pair.at(1))).toEqual({ count: 1, signedAgain: true })
    expect(await increment(user, pair.at(1))).toEqual({ count: 2, signedAgain: false })
    // Refused there, the cookie is replaced by a new session's, which the first instance then reads too.
    expect(await increment(user, pair.at(0))).toEqual({ count: 1, signedAgain: true })
    expect(await increment(user, pair.at(1))).toEqual({ count: 2, signedAgain: false })
}, 30_000)
