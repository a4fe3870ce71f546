/**
 * The Redis store's connection: every command settles within a timeout, a connection that
 * stays silent is replaced, and a failed command's error tells whether it may still run.
 */
import { RedisClient } from 'bun'
import { ScopedStateSetupError } from '../errors.js'
import { StoreUnavailableError } from '../store.js'

/** Errors of commands that went out: Redis ran them (a script may fail halfway), or may still. */
const wentOut = new WeakSet<Error>()
/** Errors of commands that got no answer in time, on a connection that is kept. */
const timeouts = new WeakSet<Error>()

/**
 * Whether the command that failed with `error` reached Redis: unanswered, it may still run;
 * answered with an error, a script ran up to the failing call (Redis does not undo the rest).
 */
export const reachedRedis = (error: unknown) => error instanceof Error && wentOut.has(error)

/**
 * Whether `error` is a timeout: the connection is kept, so a command it sent may still run,
 * in order. Any other failure closed the connection or never sent the command: nothing sent
 * on it will run any more.
 */
export const timedOut = (error: unknown) => error instanceof Error && timeouts.has(error)

/** Whether `url` names a server spoken to over TLS (`rediss://`, `valkeys://`, `redis+tls://`). */
export const usesTls = (url: string) => /^(rediss|valkeys):|\+tls/i.test(url)

interface RedisConnection {
    /**
     * Sends one command, connecting first if needed; fails with `StoreUnavailableError` within
     * the timeout, `unanswered` when the command `writes` state and went out.
     */
    send(command: string, args: string[], writes?: boolean): Promise<unknown>
    close(): void
}

/**
 * One Redis connection whose every call settles within `timeout` milliseconds; `tls` is
 * Bun's, for a TLS url.
 *
 * Bun's client would queue commands while disconnected and give up reconnecting
 * after a while; here a command fails at once when Redis is down, and the next
 * command after an outage connects again. A connection that stays silent for
 * `recycleAfter` ms (a frozen server, or a peer gone without closing the socket)
 * is replaced, and so is one unused that long, before its next command. It is kept
 * until then on purpose: commands on one connection run in order, so an unlock sent
 * after a timed-out lock always runs after it. (Past that, the store removes the locks
 * it may have left: `abandoned` in redis.ts.)
 *
 * @example
 * const redis = redisConnection('redis://127.0.0.1:6379', 1_500, 10_000)
 * await redis.send('GET', ['key'])
 */
export const redisConnection = (
    url: string,
    timeout: number,
    recycleAfter: number,
    tls?: Bun.TLSOptions
): RedisConnection => {
    // `tls` only when given: under `exactOptionalPropertyTypes`, `tls: undefined` does not type-check.
    const options = { connectionTimeout: timeout, enableOfflineQueue: false, autoReconnect: false, ...(tls && { tls }) }
    const open = () => new RedisClient(url, options)
    let client: RedisClient
    try {
        client = open()
    } catch (error) {
        // Bun checks the URL here (a database that is not a number, port 0); its message names no password.
        throw new ScopedStateSetupError(`redisStore: the url is refused: ${(error as Error).message}`)
    }
    // Bun says "Connection closed" alike for a server that is not there, one at its `maxclients`, one
    // that refused the URL's user name or password, and, over TLS, one whose certificate this
    // process does not trust.
    const check = usesTls(url)
        ? "is it running and below its maxclients, are the URL's user name and password right, and does this process trust its TLS certificate?"
        : "is it running and below its maxclients, and are the URL's user name and password right?"
    let connecting: Promise<unknown> | undefined
    /** When the current run of timeouts began. */
    let silentSince: number | undefined
    /** When the last command was sent: each settles within `timeout`, shorter than `recycleAfter` (the store's lease). */
    let lastSent = performance.now()
    let closed = false

    const connect = () => {
        if (client.connected) return undefined
        if (!connecting) {
            const attempt = client
                .connect()
                .catch((error: Error) => {
                    throw new StoreUnavailableError(`Redis: cannot connect (${error.message}): ${check}`, {
                        cause: error
                    })
                })
                .finally(() => {
                    if (connecting === attempt) connecting = undefined
                })
            connecting = attempt
        }
        return connecting
    }

    const replace = () => {
        client.close()
        client = open()
        connecting = undefined
        silentSince = undefined
    }

    /** A command got no answer: after `recycleAfter` of nothing but timeouts, the connection is replaced. */
    const recycleIfSilent = () => {
        const now = performance.now()
        silentSince ??= now
        if (now - silentSince >= recycleAfter) replace()
    }

    const send = async (command: string, args: string[], writes = false) => {
        if (closed) throw new StoreUnavailableError('the Redis store is closed')
        // A load balancer or NAT that forgets an idle connection tells neither end: the commands sent
        // on it would time out until `recycleAfter`. Replaced before, with nothing left to answer on it.
        const now = performance.now()
        if (now - lastSent > recycleAfter && client.connected) replace()
        lastSent = now
        let timer: ReturnType<typeof setTimeout> | undefined
        /** The command went to Redis, which may run it after the timeout. */
        let sent = false
        let late = false
        const expired = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                late = true
                recycleIfSilent()
                const error = new StoreUnavailableError(`Redis did not answer within ${timeout} ms`, {
                    unanswered: sent && writes
                })
                if (sent) wentOut.add(error)
                timeouts.add(error)
                reject(error)
            }, timeout)
        })
        // Connecting shares the command's timeout, so a command is never sent after its own.
        const sendNow = () => {
            if (late) throw new StoreUnavailableError(`Redis did not answer within ${timeout} ms`)
            sent = true
            return client.send(command, args)
        }
        try {
            // Connected, the command is queued before `send` returns: callers rely on the
            // order of commands that they send without waiting (see `Store.release`).
            const pending = connect()
            const call = pending ? pending.then(sendNow) : sendNow()
            const reply = await Promise.race([call, expired])
            silentSince = undefined
            return reply
        } catch (error) {
            if (error instanceof StoreUnavailableError) throw error
            // An error reply is an answer; a write whose connection closed after it went out may have run.
            const answered = (error as { code?: string }).code === 'ERR_REDIS_SERVER_ERROR'
            const failure = new StoreUnavailableError(`Redis: ${(error as Error).message}`, {
                cause: error,
                unanswered: sent && writes && !answered
            })
            if (sent) wentOut.add(failure)
            throw failure
        } finally {
            clearTimeout(timer)
        }
    }

    return {
        send,
        close() {
            closed = true
            client.close()
        }
    }
}
