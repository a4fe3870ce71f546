/**
 * The Redis store over TLS (`rediss://`) to a redis-server whose certificate a throwaway CA
 * signed: the app trusts it through NODE_EXTRA_CA_CERTS, read when the process starts, or a
 * store through its `tls` option, which also presents a client certificate to a server that
 * asks for one; a process that does not trust it is told to check the certificate.
 */
import { beforeAll, describe, expect } from 'bun:test'
import { readFileSync } from 'node:fs'
import { RedisClient } from 'bun'
import { redisStore, ScopedStateSetupError, StoreUnavailableError } from '../../../plugins/scoped-state'
import { countOf, setCookieOf } from '../../helpers/client'
import { SECRET } from '../../helpers/plugin-app'
import { expectAppRefusedByRedis, REDIS_TLS_SKIPPED, redisTlsTest as redisTest, useRedis } from '../../helpers/redis'
import { startServer } from '../../helpers/server'

const redis = useRedis({ tls: true })
const PASSWORD = 'Zm9v-tls-s3cr3t'
const certificates = () => redis().certificates ?? { ca: '', clientCert: '', clientKey: '' }
/** The server's URL with its password. */
const withPassword = () => redis().url.replace('rediss://', `rediss://:${PASSWORD}@`)
/** A client of the default user over TLS, trusting the test's CA and showing its client certificate. */
const admin = () => {
    const { ca, clientCert, clientKey } = certificates()
    return new RedisClient(withPassword(), {
        tls: { ca: Bun.file(ca), cert: Bun.file(clientCert), key: Bun.file(clientKey) }
    })
}

beforeAll(async () => {
    if (REDIS_TLS_SKIPPED) return
    const control = new RedisClient(redis().url, { tls: { ca: readFileSync(certificates().ca, 'utf8') } })
    await control.send('CONFIG', ['SET', 'requirepass', PASSWORD])
    control.close()
})

const env = (extra: Record<string, string>) => ({
    NODE_ENV: 'test',
    SESSION_SECRET: SECRET,
    SCOPED_STATE_STORE: withPassword(),
    ...extra
})

redisTest(
    'the app on rediss://, with the CA in NODE_EXTRA_CA_CERTS: state is kept over TLS',
    async () => {
        const server = await startServer({ env: env({ NODE_EXTRA_CA_CERTS: certificates().ca }) })
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
    () =>
        expectAppRefusedByRedis(
            env({ NODE_EXTRA_CA_CERTS: '' }),
            "Session store unavailable: Redis: cannot connect (Connection closed): is it running and below its maxclients, are the URL's user name and password right, and does this process trust its TLS certificate?",
            PASSWORD
        ),
    30_000
)

redisTest('a store in a process that does not trust the certificate fails at once, naming it', async () => {
    // The test process may trust extra CAs, but not this throwaway one. The password is right.
    const rediss = withPassword()
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

/** Saves a record through `store` and loads it back, under the session's lock, as the plugin does. */
const roundTrip = async (store: ReturnType<typeof redisStore>) => {
    const id = crypto.randomUUID()
    await store.load(id, 60_000)
    await store.save(id, '{"s":{"n":1},"p":{}}', 60_000)
    const loaded = await store.load(id, 60_000)
    await store.release(id)
    return loaded
}

describe('the tls option', () => {
    redisTest('trusts a private CA in code, with no NODE_EXTRA_CA_CERTS', async () => {
        const store = redisStore({ url: withPassword(), tls: { ca: Bun.file(certificates().ca) } })
        try {
            expect(await roundTrip(store)).toBe('{"s":{"n":1},"p":{}}')
        } finally {
            await store.close()
        }
    })

    redisTest('presents a client certificate to a server that asks for one; without it, 503 naming TLS', async () => {
        const control = admin()
        await control.send('CONFIG', ['SET', 'tls-auth-clients', 'yes'])
        const { ca, clientCert, clientKey } = certificates()
        const withCertificate = redisStore({
            url: withPassword(),
            tls: { ca: Bun.file(ca), cert: Bun.file(clientCert), key: Bun.file(clientKey) }
        })
        const without = redisStore({ url: withPassword(), tls: { ca: Bun.file(ca) } })
        try {
            expect(await roundTrip(withCertificate)).toBe('{"s":{"n":1},"p":{}}')
            const failure = await Promise.resolve()
                .then(() => without.stats())
                .catch((error) => error)
            expect(failure).toBeInstanceOf(StoreUnavailableError)
            expect(failure.message).toEndWith('does this process trust its TLS certificate?')
        } finally {
            await control.send('CONFIG', ['SET', 'tls-auth-clients', 'no'])
            control.close()
            await Promise.all([withCertificate.close(), without.close()])
        }
    })

    redisTest('is refused with a url that does not use TLS', () => {
        const url = redis().url.replace('rediss://', 'redis://')
        expect(() => redisStore({ url, tls: { ca: Bun.file(certificates().ca) } })).toThrow(
            new ScopedStateSetupError('redisStore: tls is given, but the url does not use TLS: use rediss://.')
        )
    })
})
