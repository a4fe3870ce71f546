/**
 * Model-based test: seeded random sequences of requests from several clients (browsers that
 * keep what they are sent, and ones that replay old cookies or forge them), to two route modules
 * that each create the plugin on one store, with a clock moved by hand and secrets rotated. Each
 * response is compared with a model of what README.md and GUIDE.md promise: its status, body,
 * `Set-Cookie` (value, signature, attributes) and `Cache-Control`; so is the state each client
 * then reads. Against the memory store, a SQLite file, and the locking path (`serializeRequests`,
 * an asynchronous store).
 *
 * On a mismatch it prints the seed and a shortened sequence that still fails. `MODEL_SEEDS=500`
 * draws more sequences; `MODEL_STATS=1` counts what they reached.
 */
import { describe, expect, test } from 'bun:test'
import { generator, LENGTH, profileOf, SEEDS, shrink } from './model/generate'
import { run } from './model/harness'

describe('model-based: random sequences agree with the documented behaviour', () => {
    for (const kind of ['memory', 'sqlite', 'serialized', 'asynchronous'] as const)
        test(`${kind} store, ${SEEDS.length} seeds`, async () => {
            let steps = 0
            for (const seed of SEEDS) {
                const { ops, error } = await run(kind, generator(seed, LENGTH, profileOf(seed)))
                steps += ops.length
                if (!error) continue
                const shortened = await shrink(kind, ops)
                const again = await run(kind, (step) => shortened[step])
                const lines = shortened.map((op) => JSON.stringify(op)).join('\n')
                throw new Error(
                    `seed ${seed} (${kind}) failed at step ${ops.length - 1}: ${error.message}\n` +
                        `shortened to ${shortened.length} ops, which fail with: ${again.error?.message}\n${lines}`
                )
            }
            // Every sequence ran to its end, final probes included.
            expect(steps).toBeGreaterThan(SEEDS.length * LENGTH)
        }, 60_000)
})
