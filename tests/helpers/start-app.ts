/**
 * Runs the entry of `bun run start` with `env` (port 0 on 127.0.0.1 and a secret unless it says
 * otherwise) and waits for it to exit, as it does when it refuses its configuration; one that
 * starts instead is stopped after 10 s, and its exit code is then not 1. The secret keeps
 * development mode from writing `data/development-secret` into the checkout, which would make
 * `bun create` from it fail for another user.
 *
 * @example
 * const { code, stderr } = await startApp({ NODE_ENV: 'production', SESSION_SECRET: '' })
 */
import { SECRET } from './plugin-app'
import { ENTRY } from './server'

/**
 * `prefix` comes before `bun` on the command line: `setpriv …`, `unshare …`. The Bun running the
 * tests, not the first on the PATH, which may be another one (Homebrew's and `bun upgrade`'s).
 */
export const startApp = async (env: Record<string, string>, prefix: readonly string[] = []) => {
    const child = Bun.spawn([...prefix, process.execPath, ENTRY], {
        env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            PORT: '0',
            HOST: '127.0.0.1',
            SESSION_SECRET: SECRET,
            ...env
        },
        stdout: 'pipe',
        stderr: 'pipe'
    })
    const timer = setTimeout(() => child.kill(), 10_000)
    const code = await child.exited
    clearTimeout(timer)
    return { code, stderr: await new Response(child.stderr).text() }
}
