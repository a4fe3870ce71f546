/**
 * Runs the real server (`bun server/index.ts`, what `bun run start` runs) as a child
 * process on a free loopback port, for tests that need a listening server: browsers,
 * load tools, several processes.
 */
import { afterAll } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { diesWithTests } from './dies-with-tests'

export interface RunningServer {
    /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
    url: string
    /** Stops the server (SIGTERM, then SIGKILL if it hangs) and waits for it to exit. */
    stop: () => Promise<void>
    /** The process, for tests that signal it themselves (SIGKILL for crashes, SIGTERM for shutdown). */
    child: Subprocess
    /** Everything it printed so far. */
    output: () => string
}

export interface StartServerOptions {
    /**
     * Extra environment variables, e.g. a store URL, or the same `SESSION_SECRET` for several instances.
     * @default {} (the test process's own, with `PORT=0`, `HOST=127.0.0.1` and a random secret)
     */
    env?: Record<string, string>
    /**
     * What to run, from `cwd`.
     * @default [process.execPath, ENTRY] (`bun server/index.ts` of this checkout, what `bun run start` runs)
     */
    command?: string[]
    /**
     * The folder `command` runs in: another checkout, or a `bun create` copy.
     * @default the test process's own
     */
    cwd?: string
    /**
     * How long to wait for the server to answer, in milliseconds.
     * @default 15_000
     */
    timeoutMs?: number
}

/** The entry of `bun run start`. */
export const ENTRY = join(import.meta.dir, '../../server/index.ts')
/**
 * The URLs in the lines the server printed when it began to listen: one, or one per
 * start under `bun --watch`, which restarts it on every change.
 */
export const listeningUrls = (output: string) =>
    [...output.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => `http://127.0.0.1:${match[1]}`)

/** Collects a child's output as it comes (so a failed start can show it). */
export const drain = (stream: ReadableStream<Uint8Array>, onText: (text: string) => void) => {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    void (async () => {
        for (let read = await reader.read(); !read.done; read = await reader.read())
            onText(decoder.decode(read.value, { stream: true }))
    })()
}

/**
 * Starts `command` with its output collected, for a test of what a developer's own command does
 * (`bun --watch`, `bun --hot`) as the output tells it.
 *
 * @example
 * const watched = spawnWatched([process.execPath, '--hot', entry], { cwd, env })
 * await watched.waitFor((output) => listeningUrls(output).length > 0, 'the start')
 */
export const spawnWatched = (command: string[], options: { cwd: string; env: Record<string, string> }) => {
    const child = Bun.spawn(diesWithTests(command), { ...options, stdout: 'pipe', stderr: 'pipe' })
    let output = ''
    const collect = (text: string) => {
        output += text
    }
    drain(child.stdout, collect)
    drain(child.stderr, collect)
    return {
        child,
        output: () => output,
        /** Waits up to 20 s for `found` to hold of the output so far; then fails, showing it. */
        waitFor: async (found: (output: string) => boolean, what: string) => {
            for (const deadline = Date.now() + 20_000; !found(output); await Bun.sleep(50))
                if (Date.now() > deadline) throw new Error(`${what} did not happen; the output:\n${output}`)
        }
    }
}

const stopProcess = async (child: Subprocess) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5000).then(() => false)])
    if (!exited) {
        child.kill('SIGKILL')
        await child.exited
    }
}

/** Resolves once `url` answers any HTTP status; the process printing its port is not proof it serves. */
export const waitUntilAnswering = async (url: string, child: Subprocess, deadline: number) => {
    while (Date.now() < deadline && child.exitCode === null) {
        try {
            await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1000) })
            return true
        } catch {
            await Bun.sleep(50)
        }
    }
    return false
}

/**
 * Starts the server with `PORT=0` (the OS picks a free port, so parallel test files never
 * collide), reads the port it prints, and waits until it answers.
 *
 * @example
 * const server = await startServer()
 * try {
 *     const response = await fetch(`${server.url}/counter`)
 * } finally {
 *     await server.stop()
 * }
 */
export const startServer = async (options: StartServerOptions = {}): Promise<RunningServer> => {
    const timeoutMs = options.timeoutMs ?? 15_000
    const child = Bun.spawn(diesWithTests(options.command ?? [process.execPath, ENTRY]), {
        cwd: options.cwd,
        env: {
            ...process.env,
            PORT: '0',
            HOST: '127.0.0.1',
            SESSION_SECRET: crypto.getRandomValues(Buffer.alloc(32)).toString('base64url'),
            ...options.env
        },
        stdout: 'pipe',
        stderr: 'pipe'
    })
    let output = ''
    const listening = Promise.withResolvers<string>()
    const onText = (text: string) => {
        output += text
        const [url] = listeningUrls(output)
        if (url) listening.resolve(url)
    }
    drain(child.stdout, onText)
    drain(child.stderr, onText)

    const deadline = Date.now() + timeoutMs
    const failed = (reason: string) =>
        new Error(`server did not start (${reason}); its output:\n${output.trim() || '(none)'}`)
    void child.exited.then((code) => listening.reject(failed(`exited with code ${code}`)))
    const timer = setTimeout(() => listening.reject(failed(`no port printed within ${timeoutMs} ms`)), timeoutMs)
    try {
        const url = await listening.promise.finally(() => clearTimeout(timer))
        if (!(await waitUntilAnswering(url, child, deadline))) throw failed('it does not answer')
        return { url, stop: () => stopProcess(child), child, output: () => output }
    } catch (error) {
        await stopProcess(child)
        throw error
    }
}

/**
 * For a test file whose servers keep files: a folder of its own (`prefix` names it), and `start`,
 * which starts a server as `startServer` does. Once the file's tests end, every server it started
 * is killed and the folder removed.
 * @example
 * const { dir, start } = serversWithFolder('backup-')
 * const server = await start({ env: { SCOPED_STATE_STORE: `sqlite:${join(dir, 'state.db')}` } })
 */
export const serversWithFolder = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    const running: RunningServer[] = []
    afterAll(async () => {
        for (const { child } of running) {
            child.kill('SIGKILL')
            await child.exited
        }
        rmSync(dir, { recursive: true, force: true })
    })
    const start = async (options: StartServerOptions) => {
        const server = await startServer(options)
        running.push(server)
        return server
    }
    return { dir, start }
}
