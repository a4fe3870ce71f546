/**
 * Runs a command to its end and collects what it printed, for tests that check a
 * tool's or a script's outcome: `bun create`, `tsc` on a copied folder, a fresh process.
 * Given `timeoutMs`, the command is stopped (SIGTERM, code 143) once it has run that long: set
 * it below the test's own timeout, which would otherwise leave the command running, unheard.
 *
 * @example
 * const { code, output } = await run(['bun', 'run', 'test'], appFolder)
 */
export const run = async (command: string[], cwd: string, env: Record<string, string> = {}, timeoutMs?: number) => {
    const child = Bun.spawn(command, {
        cwd,
        env: { ...process.env, ...env },
        stdout: 'pipe',
        stderr: 'pipe',
        timeout: timeoutMs
    })
    const [code, stdout, stderr] = await Promise.all([
        child.exited,
        new Response(child.stdout).text(),
        new Response(child.stderr).text()
    ])
    return { code, stdout, stderr, output: stdout + stderr }
}
