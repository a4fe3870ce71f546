/**
 * Model-based test: seeded random sequences of requests from several clients (browsers that
 * keep what they are sent, and ones that replay old cookies or forge them), to two route modules
 * that each create the plugin on one store, with a clock moved by hand and secrets rotated. Each
 * response is compared with a model of what README.md and GUIDE.md promise: its status, body,
 * `Set-Cookie` (value, signature, attributes) and `Cache-Control`; so is the state each client
 * then reads. Against the memory store, a SQLite file through one app instance or two (each with
 * its own store object, as two processes behind a load balancer: one state whichever serves), and
 * the locking path (`serializeRequests`, an asynchronous store); and on a real redis-server, through
 * one app instance or two, where the model says what Redis does on its own clock (model/model.ts).
 *
 * With store faults (model/faults.ts), one store call of a fifth of the requests (three fifths of
 * logins and logouts) fails: the store down, or a write that lost its answer, having run or not.
 * Each answer, the state after it, and which sessions it wrote are compared with what the GUIDE
 * promises then.
 *
 * Half the requests have their handler call `scopedStateSize()` after its last change (and the
 * writes before it too): its `ownBytes` over `limit` must be exactly a 413, and its `bytes` what
 * the save stored (model/size.ts). Each sequence then runs again without those calls, and every
 * request must save as many bytes: asking changes nothing.
 *
 * On a mismatch it prints the seed and a shortened sequence that still fails. `MODEL_SEEDS=500`
 * draws more sequences (`MODEL_FAULT_SEEDS=500` with faults), and `MODEL_SEED_FROM=1500` starts them past
 * those already explored (passed on 2026-11-29: the first 10,500 on memory, 8,500 on SQLite, 8,000
 * serialized and asynchronous, 1,800 with faults on all four; 300 on two instances on SQLite, and with
 * faults the first 300 and 1,400 to 1,799; on Redis 1,200, and 587 with faults);
 * `MODEL_STATS=1` counts what they reached.
 */
import { describe, expect, test } from 'bun:test'
import { redisTest, useRedis } from '../helpers/redis'
import type { StoreKind } from './model/app'
import { FAULT_RATE, FAULT_SEEDS, generator, LENGTH, profileOf, SEEDS, shrink, withoutSizes } from './model/generate'
import { run } from './model/harness'
import { onRedis, pairKinds } from './model/setups'

const KINDS = ['memory', 'sqlite', 'sqlitePair', 'serialized', 'asynchronous'] as const
const REDIS_KINDS = ['redis', 'redisPair'] as const
/** Fewer on Redis, whose round trips cost more: the first of the same seeds. */
const REDIS_SEEDS = SEEDS.slice(0, Number(Bun.env.MODEL_REDIS_SEEDS ?? 8))
const REDIS_FAULT_SEEDS = FAULT_SEEDS.slice(0, Number(Bun.env.MODEL_REDIS_SEEDS ?? 8) / 2)
onRedis(useRedis())

/**
 * A hang guard, not a speed check: a seed takes about a tenth of a second alone, but on a machine
 * shared with other runs a SQLite seed took over one second and a Redis one over three (both of
 * its runs). One that fires has bun kill redis-server ("killed 1 dangling process"), and the Redis
 * test after it fails with 503s and a shortened sequence, as if the plugin had a bug.
 */
const timeoutFor = (seeds: number[]) => Math.max(60_000, seeds.length * 10_000)

/**
 * Runs each seed's sequence on `kind`; on a mismatch, throws with the seed and a shortened sequence that still fails.
 * Then runs it again with no call of `scopedStateSize()`: every save must store as many bytes.
 */
const runSeeds = async (kind: StoreKind, seeds: number[], faults: number) => {
    let steps = 0
    for (const seed of seeds) {
        const instances = pairKinds(kind) ? 2 : 1
        const { ops, error, saves } = await run(kind, generator(seed, LENGTH, profileOf(seed), faults, instances))
        steps += ops.length
        if (!error) {
            const unsized = withoutSizes(ops)
            const again = await run(kind, (step) => unsized[step])
            const step = saves.findIndex((bytes, nth) => !Bun.deepEquals(bytes, again.saves[nth]))
            if (again.error || step !== -1)
                throw new Error(
                    `seed ${seed} (${kind}${faults ? ', faults' : ''}) without scopedStateSize(): ` +
                        (again.error?.message ??
                            `step ${step} ${JSON.stringify(ops[step])} saved ${JSON.stringify(again.saves[step])} bytes, ` +
                                `${JSON.stringify(saves[step])} with it`)
                )
            continue
        }
        const shortened = await shrink(kind, ops)
        const again = await run(kind, (step) => shortened[step])
        const lines = shortened.map((op) => JSON.stringify(op)).join('\n')
        throw new Error(
            `seed ${seed} (${kind}${faults ? ', faults' : ''}) failed at step ${ops.length - 1}: ${error.message}\n` +
                `shortened to ${shortened.length} ops, which fail with: ${again.error?.message}\n${lines}`
        )
    }
    // Every sequence ran to its end, final probes included.
    expect(steps).toBeGreaterThan(seeds.length * LENGTH)
}

describe('model-based: random sequences agree with the documented behaviour', () => {
    for (const kind of KINDS)
        test(`${kind} store, ${SEEDS.length} seeds`, () => runSeeds(kind, SEEDS, 0), timeoutFor(SEEDS))
})

describe('model-based, with store faults: a failed call answers as documented and leaves the state as promised', () => {
    for (const kind of KINDS)
        test(
            `${kind} store, ${FAULT_SEEDS.length} seeds`,
            () => runSeeds(kind, FAULT_SEEDS, FAULT_RATE),
            timeoutFor(FAULT_SEEDS)
        )
})

describe('model-based, on a real redis-server: one app instance, or two sharing it', () => {
    for (const kind of REDIS_KINDS) {
        redisTest(`${kind}, ${REDIS_SEEDS.length} seeds`, () => runSeeds(kind, REDIS_SEEDS, 0), timeoutFor(REDIS_SEEDS))
        redisTest(
            `${kind} with store faults, ${REDIS_FAULT_SEEDS.length} seeds`,
            () => runSeeds(kind, REDIS_FAULT_SEEDS, FAULT_RATE),
            timeoutFor(REDIS_FAULT_SEEDS)
        )
    }
})
