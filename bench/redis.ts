/**
 * A throwaway `redis-server` for the Redis store's benchmark: a free loopback
 * port, no persistence, stopped by the runner.
 *
 * @example
 * const redis = await startRedis()
 * // … redis.url …
 * await redis.stop()
 */
import { freePort } from './ports'

export interface RedisServer {
    url: string
    stop(): Promise<void>
}

/** The `redis-server` on `PATH`, or Valkey's, which speaks the same protocol; `null` when neither is there. */
export const redisServerBinary = (PATH = process.env.PATH ?? '') =>
    Bun.which('redis-server', { PATH }) ?? Bun.which('valkey-server', { PATH })

export const startRedis = async (): Promise<RedisServer | string> => {
    const binary = redisServerBinary()
    if (!binary) return 'redis-server (or valkey-server) not installed'
    const port = await freePort()
    const child = Bun.spawn(
        [binary, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdout: 'ignore', stderr: 'ignore' }
    )
    const stop = async () => {
        child.kill()
        await child.exited
    }
    for (let attempt = 0; attempt < 100; attempt++) {
        try {
            const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
            socket.end()
            return { url: `redis://127.0.0.1:${port}`, stop }
        } catch {
            await Bun.sleep(50)
        }
    }
    await stop()
    return 'redis-server did not start'
}
