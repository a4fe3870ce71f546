/**
 * A command line whose process is killed when the test process ends, however it ends. In
 * `bun test` (Bun 1.4.5) no `process.on('exit')` listener runs, and `--bail` exits at its first
 * failure without running the other files' `afterAll` either: each test file cut short left its
 * redis-server or app server running, holding its port. Linux's parent-death signal, set by
 * util-linux's `setpriv` before it execs the command: the process is the command's own, so
 * stopping, freezing or killing it works as before. Without `setpriv` (macOS), the command as is.
 *
 * @example
 * const child = Bun.spawn(diesWithTests(['redis-server', '--port', '0']))
 */
const SETPRIV = Bun.which('setpriv')

export const diesWithTests = (command: readonly string[]) =>
    SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...command] : [...command]
