/**
 * A command line whose process is killed when the test process ends, however it ends. In
 * `bun test` (Bun 1.4.5) no `process.on('exit')` listener runs, and `--bail` exits at its first
 * failure without running the other files' `afterAll` either: each test file cut short left its
 * redis-server or app server running, holding its port. Linux's parent-death signal, set by
 * util-linux's `setpriv` before it execs the command: the process is the command's own, so
 * stopping, freezing or killing it works as before. Without `setpriv` (macOS), the command as is.
 * The signal reaches that one process only: what it starts itself outlives the tests (`bun run
 * dev` runs the script in a child of its own), as do commands spawned without this.
 *
 * @example
 * const child = Bun.spawn(diesWithTests(['redis-server', '--port', '0']))
 */
const SETPRIV = Bun.which('setpriv')

/** Whether `diesWithTests` can do what it says here: there is a `setpriv` (Linux). */
export const DIES_WITH_TESTS = SETPRIV !== null

export const diesWithTests = (command: readonly string[]) =>
    SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...command] : [...command]
