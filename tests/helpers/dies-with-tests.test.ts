/**
 * The servers tests start end with the test process, even when `bun test --bail` cuts the run
 * short before any `afterAll` (dies-with-tests.ts).
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { DIES_WITH_TESTS } from './dies-with-tests'
import { REDIS_SKIPPED } from './redis'
import { run } from './run'

const ROOT = join(import.meta.dir, '../..')
const FIXTURE = join(import.meta.dir, 'cut-short.fixture.ts')

/** Whether something still accepts connections at `url`'s port, waiting up to 5 s for it to stop. */
const stillListening = async (url: string) => {
    const { hostname, port } = new URL(url)
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; await Bun.sleep(50)) {
        try {
            const socket = await Bun.connect({ hostname, port: Number(port), socket: { data() {} } })
            socket.end()
        } catch {
            return false
        }
    }
    return true
}

const name =
    'a redis-server, an app server and a watched command started by a test run cut short (--bail) end with that run'

// Without setpriv (macOS) nothing kills them: the test would fail, and leave both running.
test.skipIf(REDIS_SKIPPED || !DIES_WITH_TESTS)(
    DIES_WITH_TESTS ? name : `${name} (skipped: no setpriv here, so they do not)`,
    async () => {
        const { code, output } = await run([process.execPath, 'test', '--bail', FIXTURE], ROOT)
        expect(code).not.toBe(0)
        const [, redis, app, watched] = /listening: (\S+) (\S+) (\S+)/.exec(output) ?? []
        if (!redis || !app || !watched) throw new Error(`the fixture did not start its servers:\n${output}`)
        expect(await stillListening(redis)).toBe(false)
        expect(await stillListening(app)).toBe(false)
        expect(await stillListening(watched)).toBe(false)
    },
    30_000
)
