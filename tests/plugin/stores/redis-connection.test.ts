/** The Redis store's connection against a real redis-server: timeouts, recycling, error replies, close. */
import { describe, expect, setSystemTime } from 'bun:test'
import { RedisClient } from 'bun'
import { StoreUnavailableError } from '../../../plugins/scoped-state'
import { redisConnection } from '../../../plugins/scoped-state/stores/redis-connection'
import { redisTest, silentlyDroppingProxy, useRedis } from '../../helpers/redis'

const redis = useRedis()

/** Runs `use` with a connection under test, a second client (to answer its BLPOPs) and a fresh key. */
const withConnection = async (
    [commandTimeout, recycleAfter]: [number, number],
    use: (connection: ReturnType<typeof redisConnection>, other: RedisClient, key: string) => Promise<void>
) => {
    const connection = redisConnection(redis().url, commandTimeout, recycleAfter)
    const other = new RedisClient(redis().url)
    try {
        await use(connection, other, `test-${crypto.randomUUID()}`)
    } finally {
        connection.close()
        other.close()
    }
}

describe('redis connection', () => {
    redisTest(
        'a connection that answers between two timeouts is not recycled',
        () =>
            // Only the BLPOPs time out: the timeout leaves room for every other answer on a busy machine.
            withConnection([1_000, 1_500], async (connection, other, key) => {
                /** A BLPOP that blocks until the key gets an element: it times out, then is answered once the test pushes one. */
                const answeredAfterItsTimeout = async () => {
                    await expect(connection.send('BLPOP', [key, '0'])).rejects.toThrow('did not answer')
                    await other.send('RPUSH', [key, 'x'])
                }
                const id = await connection.send('CLIENT', ['ID'])
                await answeredAfterItsTimeout()
                // The next command is answered after the late BLPOP, on the same connection.
                expect(await connection.send('CLIENT', ['ID'])).toBe(id)
                // Past recycleAfter since the first timeout, but the connection answered since (and
                // was never idle that long, which would replace it: see the silently dropped one below).
                for (let step = 0; step < 3; step++) {
                    await Bun.sleep(500)
                    await connection.send('PING', [])
                }
                await answeredAfterItsTimeout()
                expect(await connection.send('CLIENT', ['ID'])).toBe(id)
            }),
        15_000
    )

    redisTest(
        'silence is timed on a monotonic clock: a wall clock stepped forward does not recycle the connection',
        () =>
            withConnection([200, 10_000], async (connection, other, key) => {
                const id = await connection.send('CLIENT', ['ID'])
                await expect(connection.send('BLPOP', [key, '0'])).rejects.toThrow('did not answer')
                try {
                    setSystemTime(Date.now() + 3_600_000)
                    await expect(connection.send('BLPOP', [key, '0'])).rejects.toThrow('did not answer')
                } finally {
                    setSystemTime()
                }
                await other.send('RPUSH', [key, 'x', 'y'])
                expect(await connection.send('CLIENT', ['ID'])).toBe(id)
            })
    )

    redisTest('a write answered with an error reply is not unanswered', async () => {
        const connection = redisConnection(redis().url, 1_000, 10_000)
        const key = `test-${crypto.randomUUID()}`
        try {
            await connection.send('SET', [key, 'text'])
            const failure = await connection.send('INCR', [key], true).catch((error) => error)
            expect(failure).toBeInstanceOf(StoreUnavailableError)
            expect((failure as StoreUnavailableError).unanswered).toBe(false)
        } finally {
            connection.close()
        }
    })

    redisTest(
        'a connection idle past recycleAfter is replaced before its next command: one a load balancer dropped answers at once',
        async () => {
            const proxy = silentlyDroppingProxy(redis().port)
            const connection = redisConnection(`redis://127.0.0.1:${proxy.port}`, 300, 1_000)
            try {
                expect(await connection.send('PING', [])).toBe('PONG')
                proxy.dropAll()
                await Bun.sleep(1_100)
                expect(await connection.send('PING', [])).toBe('PONG')
            } finally {
                connection.close()
                proxy.stop(true)
            }
        }
    )

    redisTest('a connection Redis closed for idleness (its `timeout`) is opened again by the next command', () =>
        withConnection([1_000, 60_000], async (connection, other) => {
            const { timeout } = (await other.send('CONFIG', ['GET', 'timeout'])) as { timeout: string }
            await other.send('CONFIG', ['SET', 'timeout', '1'])
            try {
                const id = String(await connection.send('CLIENT', ['ID']))
                // Until Redis has closed it; the other client, never idle a second, stays.
                while (String(await other.send('CLIENT', ['LIST', 'ID', id])) !== '') await Bun.sleep(100)
                expect(await connection.send('PING', [])).toBe('PONG')
                expect(String(await connection.send('CLIENT', ['ID']))).not.toBe(id)
            } finally {
                await other.send('CONFIG', ['SET', 'timeout', timeout])
            }
        })
    )

    redisTest('a closed connection refuses commands instead of connecting again', async () => {
        const connection = redisConnection(redis().url, 1_000, 10_000)
        expect(await connection.send('PING', [])).toBe('PONG')
        connection.close()
        await expect(connection.send('PING', [])).rejects.toThrow('the Redis store is closed')
    })
})
