/** The Redis store's connection against a real redis-server: timeouts, recycling, error replies, close. */
import { describe, expect } from 'bun:test'
import { StoreUnavailableError } from '../../../plugins/scoped-state'
import { redisConnection } from '../../../plugins/scoped-state/stores/redis-connection'
import { redisTest, useRedis } from '../../helpers/redis'

const redis = useRedis()

describe('redis connection', () => {
    redisTest('a connection that answers between two timeouts is not recycled', async () => {
        const connection = redisConnection(redis().url, 300, 800)
        const key = `test-${crypto.randomUUID()}`
        try {
            const id = await connection.send('CLIENT', ['ID'])
            // BLPOP holds the connection for 400 ms: it times out at 300 ms; the next command waits 100 ms for it.
            await expect(connection.send('BLPOP', [key, '0.4'])).rejects.toThrow('did not answer')
            expect(await connection.send('CLIENT', ['ID'])).toBe(id)
            // Past recycleAfter since the first timeout, but the connection answered since.
            await Bun.sleep(800)
            await expect(connection.send('BLPOP', [key, '0.4'])).rejects.toThrow('did not answer')
            expect(await connection.send('CLIENT', ['ID'])).toBe(id)
        } finally {
            connection.close()
        }
    })

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

    redisTest('a closed connection refuses commands instead of connecting again', async () => {
        const connection = redisConnection(redis().url, 1_000, 10_000)
        expect(await connection.send('PING', [])).toBe('PONG')
        connection.close()
        await expect(connection.send('PING', [])).rejects.toThrow('the Redis store is closed')
    })
})
