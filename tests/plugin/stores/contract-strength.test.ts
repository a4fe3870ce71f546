/**
 * The contract catches each subtle mistake of a shared store (shared-memory-store.ts's `FAULTS`):
 * run against such a store, the check named fails. A store without a lock is checked 60 ms away
 * too, as a database across a network.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { run } from '../../helpers/run'
import type { Fault } from '../../helpers/shared-memory-store'

const FIXTURE = join(import.meta.dir, 'faulty-store.fixture.ts')

const caughtBy: [Fault, number, string][] = [
    ['no lock', 0, 'a load locks the session until its save'],
    ['no lock', 60, 'a load locks the session until its save'],
    ['lock without token', 0, 'a release that holds no lock'],
    ['release by id', 0, 'a release that holds no lock'],
    ['end without time', 0, 'a delete is answered to the other as ended, with how long ago'],
    ['delete keeps the lock', 0, "a delete by the other ends this request's hold"],
    ['end not dated back', 0, 'a delete dated back (endScopedSession)'],
    ['login ignores from', 0, "a login's save is refused (SessionEndedError)"],
    ['end looked up only with from', 0, "a save without a lock or from (a first visit's) is refused"],
    ['lock never lapses', 0, 'a lock lapses with its lease']
]

for (const [fault, latency, check] of caughtBy)
    test(`a store with ${fault}, ${latency} ms away, fails "${check}"`, async () => {
        // Only the shared checks: the others pass such a store.
        const { code, output } = await run(
            [process.execPath, 'test', FIXTURE, '-t', 'shared by several processes'],
            import.meta.dir,
            { FAULT: fault, LATENCY: String(latency) }
        )
        expect(output).toMatch(new RegExp(`\\(fail\\) .*shared by several processes > ${RegExp.escape(check)}`))
        expect(code).not.toBe(0)
    }, 30_000)
