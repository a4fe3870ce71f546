/**
 * Runs the entry of `bun run start` with `env` (port 0 on 127.0.0.1 unless it says otherwise)
 * and waits for it to exit, as it does when it refuses its configuration; one that starts
 * instead is stopped after 10 s, and its exit code is then not 1.
 *
 * @example
 * const { code, stderr } = await startApp({ NODE_ENV: 'production' })
 */
import { join } from 'node:path'

const entry = join(import.meta.dir, '../../server/index.ts')

/** `prefix` comes before `bun` on the command line: `setpriv …`, `unshare …`. */
export const startApp = async (env: Record<string, string>, prefix: readonly string[] = []) => {
    const child = Bun.spawn([...prefix, 'bun', entry], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
        stdout: 'pipe',
        stderr: 'pipe'
    })
    const timer = setTimeout(() => child.kill(), 10_000)
    const code = await child.exited
    clearTimeout(timer)
    return { code, stderr: await new Response(child.stderr).text() }
}
