/**
 * The Redis store over TLS (`rediss://`) to a redis-server whose certificate a throwaway CA
 * signed: the app trusts it through NODE_EXTRA_CA_CERTS, read when the process starts (the
 * store has no TLS option); a process that does not trust it is told to check the certificate.
 */
import { beforeAll, expect } from 'bun:test'
import { readFileSync } from 'node:fs'
import { RedisClient } from 'bun'
import { redisStore, StoreUnavailableError } from '../../../plugins/scoped-state'
import { countOf, setCookieOf } from '../../helpers/client'
import { SECRET } from '../../helpers/plugin-app'
import { REDIS_SKIPPED, redisTest, useRedis } from '../../helpers/redis'
import { startServer } from '../../helpers/server'

const redis = useRedis({ tls: true })
const PASSWORD = 'Zm9v-tls-s3cr3t'
/** The default user over TLS, trusting the test's CA. */
const admin = () =>
    new RedisClient(redis().url.replace('rediss://', `rediss://:${PASSWORD}@`), {
        tls: { ca: readFileSync(redis().caFile ?? '', 'utf8') }
    })

beforeAll(async () => {
    if (REDIS_SKIPPED) return
    const control = new RedisClient(redis().url, { tls: { ca: readFileSync(redis().caFile ?? '', 'utf8') } })
    await control.send('CONFIG', ['SET', 'requirepass', PASSWORD])
    control.close()
})

const env = (extra: Record<string, string>) => ({
    NODE_ENV: 'test',
    SESSION_SECRET: SECRET,
    SCOPED_STATE_STORE: redis().url.replace('rediss://', `rediss://:${PASSWORD}@`),
    ...extra
})

redisTest(
    'the app on rediss://, with the CA in NODE_EXTRA_CA_CERTS: state is kept over TLS',
    async () => {
        const server = await startServer({ env: env({ NODE_EXTRA_CA_CERTS: redis().caFile ?? '' }) })
        try {
            const first = await fetch(`${server.url}/api/increment`, { method: 'POST' })
            const cookie = setCookieOf(first) ?? ''
            expect(await countOf(first)).toBe(1)
            expect(
                await countOf(await fetch(`${server.url}/api/increment`, { method: 'POST', headers: { cookie } }))
            ).toBe(2)
            expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: 'ok' })
            const inspect = admin()
            expect(await inspect.send('KEYS', ['scoped-state:s:*'])).toHaveLength(1)
            inspect.close()
        } finally {
            await server.stop()
        }
    },
    30_000
)

redisTest(
    'the app on rediss:// without the CA: 503, and the log says to check the certificate',
    async () => {
        const server = await startServer({ env: env({ NODE_EXTRA_CA_CERTS: '' }) })
        try {
            expect((await fetch(`${server.url}/api/increment`, { method: 'POST' })).status).toBe(503)
            expect((await fetch(`${server.url}/healthz`)).status).toBe(503)
            while (!server.output().includes('cannot connect')) await Bun.sleep(20)
            expect(server.output()).toContain(
                "Session store unavailable: Redis: cannot connect (Connection closed): is it running, are the URL's user name and password right, and does this process trust its TLS certificate?"
            )
            expect(server.output()).not.toContain(PASSWORD)
        } finally {
            await server.stop()
        }
    },
    30_000
)

redisTest('a store in a process that does not trust the certificate fails at once, naming it', async () => {
    // The test process may trust extra CAs, but not this throwaway one. The password is right.
    const rediss = redis().url.replace('rediss://', `rediss://:${PASSWORD}@`)
    for (const url of [rediss, rediss.replace('rediss://', 'redis+tls://')]) {
        const store = redisStore({ url })
        const failure = await Promise.resolve()
            .then(() => store.stats())
            .catch((error) => error)
        await store.close()
        expect(failure).toBeInstanceOf(StoreUnavailableError)
        expect(failure.message).toEndWith('does this process trust its TLS certificate?')
    }
})
