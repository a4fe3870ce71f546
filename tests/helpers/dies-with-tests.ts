/**
 * A command line whose process is killed when the test process ends, however it ends. In
 * `bun test` (Bun 1.4.5) no `process.on('exit')` listener runs, and `--bail` exits at its first
 * failure without running the other files' `afterAll` either: each test file cut short left its
 * redis-server or app server running, holding its port. Linux's parent-death signal, set by
 * util-linux's `setpriv` before it execs the command: the process is the command's own, so
 * stopping, freezing or killing it works as before. Without such a `setpriv` (macOS), the command as is.
 * The signal reaches that one process only: what it starts itself outlives the tests (`bun run
 * dev` runs the script in a child of its own), as do commands spawned without this.
 *
 * @example
 * const child = Bun.spawn(diesWithTests(['redis-server', '--port', '0']))
 */
const SETPRIV = Bun.which('setpriv')
const PREFIX = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--'] : []

/**
 * Whether `diesWithTests` can do what it says here: a `setpriv` that knows `--pdeathsig`. BusyBox's
 * does not, and refuses the option: every server the tests start would fail to.
 */
export const DIES_WITH_TESTS = SETPRIV !== null && Bun.spawnSync([...PREFIX, 'true']).exitCode === 0

export const diesWithTests = (command: readonly string[]) => (DIES_WITH_TESTS ? [...PREFIX, ...command] : [...command])
