/**
 * The Redis store against a redis-server that wants a password: the least-privilege ACL user
 * that docs/stores.md gives (enough for everything, each permission needed), `requirepass`, a
 * wrong password, a database index; in the store and in the real server. TLS: redis-tls.test.ts.
 */
import { beforeAll, describe, expect } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import { redisStore, SESSION_ENDED, type Store, StoreUnavailableError } from '../../../plugins/scoped-state'
import { countOf, setCookieOf } from '../../helpers/client'
import { SECRET } from '../../helpers/plugin-app'
import { expectAppRefusedByRedis, REDIS_SKIPPED, redisTest, useRedis } from '../../helpers/redis'
import { startServer } from '../../helpers/server'
import { storeContract } from './contract'

const redis = useRedis()
const PASSWORD = 'Zm9v-s3cr3t-YmFy'
const WRONG = 'hunter2-wrong'
const DAY = 86_400_000

/** The arguments of docs/stores.md's `ACL SETUSER app …` line, the password put in. */
const DOCUMENTED = (() => {
    const docs = readFileSync(join(import.meta.dir, '../../../docs/stores.md'), 'utf8')
    const line = /^ *ACL SETUSER app (.+)$/m.exec(docs)?.[1]
    if (!line) throw new Error('docs/stores.md gives no `ACL SETUSER app …` line')
    return line.split(' ').map((rule) => (rule === '>PASSWORD' ? `>${PASSWORD}` : rule))
})()
/** The documented line's commands, each of which the store needs. */
const COMMANDS = DOCUMENTED.filter((rule) => rule.startsWith('+'))

/** `redis://<user>:<password>@127.0.0.1:<port><path>` on the test's server. */
const urlOf = (user: string, password = PASSWORD, path = '') =>
    redis().url.replace('redis://', `redis://${user}:${password}@`) + path
/** A connection as the default user, who has every permission. */
const admin = (path = '') => new RedisClient(urlOf('default', PASSWORD, path))
const setUser = async (name: string, rules: string[]) => {
    const client = admin()
    await client.send('ACL', ['SETUSER', name, ...rules])
    client.close()
}
/** A prefix the documented key pattern (`~scoped-state:*`) covers. */
const prefix = () => `scoped-state:${crypto.randomUUID()}:`

beforeAll(async () => {
    if (REDIS_SKIPPED) return
    const control = new RedisClient(redis().url)
    await control.send('CONFIG', ['SET', 'requirepass', PASSWORD])
    control.close()
    await setUser('app', DOCUMENTED)
})

/** An outcome as the scenario compares it: a value, that the session ended, or a failure. */
const outcome = (run: () => unknown): Promise<string | undefined | Error> =>
    Promise.resolve()
        .then(run)
        .then(
            (value) =>
                typeof (value as { [SESSION_ENDED]?: number } | undefined)?.[SESSION_ENDED] === 'number'
                    ? 'ended'
                    : JSON.stringify(value),
            (error: Error) => error
        )

/**
 * Every script of the store on every path, as the given store's user: from scratch (Redis
 * forgot the scripts: EVAL), a new session, a lock and a write, a release, a session expired
 * long ago (counted: INCRBY), the stats, a delete and its mark.
 */
const everyPath = async (store: Store, keys: string) => {
    const control = admin()
    await control.send('SCRIPT', ['FLUSH'])
    await control.send('ZADD', [`${keys}index`, '1', 'expired-long-ago'])
    control.close()
    const outcomes = []
    for (const step of [
        () => store.save('s', '{"n":1}', DAY),
        () => store.load('s', DAY),
        () => store.save('s', '{"n":2}', DAY),
        () => store.load('s', DAY),
        () => store.release('s'),
        () => store.stats(),
        () => store.delete('s', DAY),
        () => store.load('s', DAY),
        () => store.release('s')
    ])
        outcomes.push(await outcome(step))
    await store.close()
    return outcomes
}
const ALL_WENT_WELL = [
    undefined,
    '"{\\"n\\":1}"',
    undefined,
    '"{\\"n\\":2}"',
    undefined,
    JSON.stringify({ sessions: 1, evictions: 0, expirations: 1 }),
    undefined,
    'ended',
    undefined
]
/** A store whose waits for a lock are short, should a failed step leave one behind. */
const storeOf = (url: string, keys: string, onExpire?: () => void) =>
    redisStore({ url, prefix: keys, lockTimeout: 100, onExpire })

/**
 * Every path as the given user, by a store without `onExpire` and by one with it, whose prune
 * lists the expired ids before it drops them: each needs a command the other does not.
 */
const everyPathEitherWay = async (url: string) => {
    const outcomes = []
    for (const onExpire of [undefined, () => {}]) {
        const keys = prefix()
        outcomes.push(...(await everyPath(storeOf(url, keys, onExpire), keys)))
    }
    return outcomes
}
const ALL_WENT_WELL_EITHER_WAY = [...ALL_WENT_WELL, ...ALL_WENT_WELL]

storeContract('redis, as the least-privilege ACL user of docs/stores.md,', {
    create: () => redisStore({ url: urlOf('app'), prefix: prefix() }),
    shared: () => {
        const keys = prefix()
        return [redisStore({ url: urlOf('app'), prefix: keys }), redisStore({ url: urlOf('app'), prefix: keys })]
    },
    test: redisTest,
    peek: true
})

describe('a Redis that wants a password', () => {
    redisTest('the documented ACL user, and the default user with requirepass, take every path', async () => {
        for (const user of ['app', 'default', ''])
            expect(await everyPathEitherWay(urlOf(user))).toEqual(ALL_WENT_WELL_EITHER_WAY)
    })

    redisTest(
        'without any one permission of the documented ACL line the store fails with the reason, before any wrong answer',
        async () => {
            const lessOne = [
                ...COMMANDS.map((command) => DOCUMENTED.filter((rule) => rule !== command)),
                // Read-only keys, and another prefix's.
                DOCUMENTED.map((rule) => (rule.startsWith('~') ? `%R${rule}` : rule)),
                DOCUMENTED.map((rule) => (rule.startsWith('~') ? '~other:*' : rule))
            ]
            expect(lessOne).toHaveLength(COMMANDS.length + 2)
            for (const rules of lessOne) {
                await setUser('lacking', rules)
                const outcomes = await everyPathEitherWay(urlOf('lacking'))
                const first = outcomes.findIndex((answer, step) => answer !== ALL_WENT_WELL_EITHER_WAY[step])
                const failure = outcomes[first]
                if (!(failure instanceof StoreUnavailableError))
                    throw new Error(`with ${rules.join(' ')}: step ${first} answered ${failure} instead of failing`)
                expect(failure.message).toMatch(
                    /^Session store unavailable: Redis: (NOPERM this user has no permissions to (run the '[a-z]+' command|access one of the keys)|ERR The user executing the script can't run this command)/
                )
            }
        },
        30_000
    )

    redisTest(
        'a wrong or missing password, an unknown or disabled user: every call fails at once, and no message holds the password',
        async () => {
            await setUser('disabled', [...DOCUMENTED, 'off'])
            const port = new URL(redis().url).port
            for (const url of [
                urlOf('', WRONG),
                urlOf('app', WRONG),
                urlOf('nobody', PASSWORD),
                urlOf('disabled', PASSWORD),
                `redis://127.0.0.1:${port}`
            ]) {
                // Not a timeout, which would say "did not answer within 1500 ms".
                const store = redisStore({ url })
                const failure = await outcome(() => store.stats())
                await store.close()
                expect(failure).toBeInstanceOf(StoreUnavailableError)
                expect((failure as Error).message).toBe(
                    "Session store unavailable: Redis: cannot connect (Connection closed): is it running and below its maxclients, and are the URL's user name and password right?"
                )
                const told = `${Bun.inspect(failure)} ${Bun.inspect((failure as Error).cause)}`
                expect(told).not.toContain(WRONG)
                expect(told).not.toContain(PASSWORD)
            }
        }
    )

    redisTest('/2 keeps the keys in database 2; the ACL user needs +select for it', async () => {
        const keys = prefix()
        const refused = await outcome(() => storeOf(urlOf('app', PASSWORD, '/2'), keys).stats())
        expect((refused as Error).message).toBe(
            "Session store unavailable: Redis: NOPERM this user has no permissions to run the 'select' command"
        )
        await setUser('app-db2', [...DOCUMENTED, '+select'])
        const store = storeOf(urlOf('app-db2', PASSWORD, '/2'), keys)
        await store.save('s', '{"n":1}', DAY)
        await store.close()
        const [db0, db2] = [admin(), admin('/2')]
        expect(await db2.get(`${keys}s:s`)).toBe('{"n":1}')
        expect(await db0.exists(`${keys}s:s`)).toBe(false)
        db0.close()
        db2.close()
    })
})

describe('the app on a Redis that wants a password', () => {
    const env = (url: string) => ({ NODE_ENV: 'test', SESSION_SECRET: SECRET, SCOPED_STATE_STORE: url })

    redisTest(
        'as the documented ACL user on database 2: state is kept, there',
        async () => {
            await setUser('app-db2', [...DOCUMENTED, '+select'])
            const server = await startServer({ env: env(urlOf('app-db2', PASSWORD, '/2')) })
            try {
                const first = await fetch(`${server.url}/api/increment`, { method: 'POST' })
                const cookie = setCookieOf(first) ?? ''
                expect(await countOf(first)).toBe(1)
                const second = await fetch(`${server.url}/api/increment`, { method: 'POST', headers: { cookie } })
                expect(await countOf(second)).toBe(2)
                expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: 'ok' })
                const db2 = admin('/2')
                expect(await db2.send('KEYS', ['scoped-state:s:*'])).toHaveLength(1)
                db2.close()
                expect(server.output()).toContain(`session state: redis://127.0.0.1:${new URL(redis().url).port}/2)`)
                expect(server.output()).not.toContain(PASSWORD)
            } finally {
                await server.stop()
            }
        },
        30_000
    )

    redisTest(
        'with a wrong password: 503, and the log says what to check without the password',
        () =>
            expectAppRefusedByRedis(
                env(urlOf('app', WRONG)),
                "Session store unavailable: Redis: cannot connect (Connection closed): is it running and below its maxclients, and are the URL's user name and password right?",
                WRONG
            ),
        30_000
    )
})
