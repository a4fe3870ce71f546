/**
 * `bun server/index.ts` as a child process whose signals the test controls (SIGKILL
 * for crash tests, SIGTERM for shutdown tests), on a port the OS picks.
 */
import { join } from 'node:path'
import type { Subprocess } from 'bun'

export interface ServerProcess {
    /** e.g. `http://127.0.0.1:41234` */
    url: string
    child: Subprocess<'ignore', 'pipe', 'pipe'>
    /** Everything the child printed so far. */
    output: () => string
}

const ENTRY = join(import.meta.dir, '../../../server/index.ts')
const LISTENING = /Listening on http:\/\/127\.0\.0\.1:(\d+)/

/** Test secret for child servers; give every instance the same one so they accept each other's cookies. */
export const CHILD_SECRET = 'a-child-server-secret-of-at-least-32-bytes'

/**
 * Starts the server with `env` added and resolves once it listens. Stop it yourself
 * (`child.kill(...)`) in a `finally` or `afterAll`.
 *
 * @example
 * const server = await spawnServer({ SCOPED_STATE_STORE: `sqlite:${path}` })
 */
export const spawnServer = async (env: Record<string, string>, timeoutMs = 15_000): Promise<ServerProcess> => {
    const child = Bun.spawn([process.execPath, ENTRY], {
        env: { ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', SESSION_SECRET: CHILD_SECRET, ...env },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe'
    })
    let output = ''
    const port = Promise.withResolvers<string>()
    for (const stream of [child.stdout, child.stderr])
        void (async () => {
            const decoder = new TextDecoder()
            for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
                output += decoder.decode(chunk, { stream: true })
                const match = LISTENING.exec(output)
                if (match?.[1]) port.resolve(match[1])
            }
        })()
    const failed = (why: string) => new Error(`server did not start (${why}):\n${output}`)
    void child.exited.then((code) => port.reject(failed(`exited with ${code}`)))
    const timer = setTimeout(() => port.reject(failed(`no port within ${timeoutMs} ms`)), timeoutMs)
    try {
        const found = await port.promise
        return { url: `http://127.0.0.1:${found}`, child, output: () => output }
    } catch (error) {
        child.kill('SIGKILL')
        throw error
    } finally {
        clearTimeout(timer)
    }
}

/** The `name=value` of a response's session cookie. */
export const cookieOf = (response: Response) => response.headers.get('set-cookie')?.split(';')[0] ?? ''

/** The number in the counter fragment `<span id="count">N</span>`. */
export const countOf = async (response: Response) => Number(/>(-?\d+)</.exec(await response.text())?.[1])
