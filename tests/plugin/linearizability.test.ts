/**
 * Linearizability under concurrency: seeded rounds of concurrent requests (several sessions,
 * several requests of each at once, in the default page scope and two tabs' ones, handlers that
 * await at random points, increments, appends, overwrites, resets, page loads and htmx history
 * restores, logins and logouts, first visits, requests that record their session's id with
 * `scopedSessionId()` and others that end such an id with `endScopedSession(id)`), against the
 * memory store, a SQLite file, `serializeRequests`, an instance with it and one without on one
 * store, and two app instances sharing one SQLite file (one of them with `serializeRequests`, or
 * neither) or a real redis-server (as two processes would: each with its own store object). The
 * history is then checked against GUIDE.md's security model and README.md's `endScopedSession`
 * (linearizability/check.ts): some order of the requests consistent with real time explains
 * every status, what each handler saw, the cookies sent, and the state read after each round;
 * so no accepted change is lost or applied twice, a refused request changed nothing, and no
 * session holds another's values; a session the app ended refuses what its requests still
 * change, its next request starts a new one at once, a login or first visit whose new id it
 * ended fails, and no store holds a record under an ended id.
 *
 * On a failure it prints the seed and the client's last rounds. `LIN_SEEDS=n` runs n seeds.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore, redisStore, type Store, sqliteStore } from '../../plugins/scoped-state'
import { redisTest, useRedis } from '../helpers/redis'
import { check, type Path } from './linearizability/check'
import { type Handler, historyOf } from './linearizability/history'
import { programApp, Recorder } from './linearizability/program'

const SEEDS = Array.from({ length: Number(process.env.LIN_SEEDS ?? 16) }, (_, i) => 1 + i * 7919)
const SHAPE = { rounds: 12, clients: 3 }
/**
 * Generous: 16 seeds take a second or two a store; `LIN_SEEDS=400` took up to seven minutes a
 * store on a machine shared with other runs.
 */
const TIMEOUT = Math.max(120_000, SEEDS.length * 3_000)

const scratch = mkdtempSync(join(tmpdir(), 'scoped-state-lin-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/**
 * An app instance: its store (instances may share one) and whether it has `serializeRequests`.
 * The plugin takes its locking path with `serializeRequests` or an asynchronous store.
 */
type Instance = { store: Store; serializeRequests?: boolean }
const pathOf = ({ store, serializeRequests }: Instance): Path =>
    serializeRequests || !store.synchronous ? 'locking' : 'synchronous'

/** Whether one of `stores` holds a record of `id`. */
const holdsIn = (stores: Store[]) => async (id: string) => {
    for (const store of new Set(stores)) if ((await store.peek?.(id)) !== undefined) return true
    return false
}

/** Runs every seed on the instances `open` makes, then checks each history. */
const runSeeds = async (kind: string, open: (seed: number) => Instance[]) => {
    const stats = { calls: 0, refused: 0, paged: 0, steps: 0, ends: 0, newSessions: 0, newIdsEnded: 0 }
    for (const seed of SEEDS) {
        const instances = open(seed)
        const recorder = new Recorder()
        const apps = instances.map((options) => programApp(options, recorder) as unknown as Handler)
        try {
            const holds = holdsIn(instances.map(({ store }) => store))
            const history = await historyOf(apps, recorder, { seed, ...SHAPE }, holds)
            let violation: string | undefined
            try {
                violation = check(history, instances.map(pathOf), stats)
            } catch (error) {
                violation = (error as Error).message
            }
            if (violation) throw new Error(`seed ${seed} (${kind}): ${violation}`)
        } finally {
            await Promise.all(instances.map(({ store }) => store.close()))
        }
    }
    console.log(
        `linearizability, ${kind}: ${SEEDS.length} seeds, ${stats.calls} requests (${stats.paged} in a tab's page scope), ${stats.refused} refused (409), ${stats.ends} sessions ended by id, ${stats.newSessions} new sessions after an end, ${stats.newIdsEnded} refused as their new id was ended, longest search ${stats.steps} steps`
    )
    expect(stats.calls).toBeGreaterThan(SEEDS.length * SHAPE.rounds * SHAPE.clients)
    // The ends exercised what they are for: a new session after one, and a new id refused.
    expect([stats.ends, stats.newSessions, stats.newIdsEnded].every((count) => count > 0)).toBe(true)
}

describe('concurrent requests are linearizable as GUIDE.md promises', () => {
    const cases: [string, (seed: number) => Instance[]][] = [
        ['memory store', () => [{ store: memoryStore() }]],
        ['SQLite file', (seed) => [{ store: sqliteStore({ path: join(scratch, `${seed}.db`) }) }]],
        ['serializeRequests', () => [{ store: memoryStore(), serializeRequests: true }]],
        [
            'two instances on one SQLite file, each with its own store (as two processes)',
            (seed) => {
                const path = join(scratch, `shared-${seed}.db`)
                return [{ store: sqliteStore({ path }) }, { store: sqliteStore({ path }) }]
            }
        ],
        [
            'two instances on one SQLite file, each with its own store, one with serializeRequests',
            (seed) => {
                const path = join(scratch, `shared-serialized-${seed}.db`)
                return [{ store: sqliteStore({ path }) }, { store: sqliteStore({ path }), serializeRequests: true }]
            }
        ],
        [
            'two instances on one memory store, one with serializeRequests',
            () => {
                const store = memoryStore()
                return [{ store }, { store, serializeRequests: true }]
            }
        ]
    ]
    for (const [kind, open] of cases) test(kind, () => runSeeds(kind, open), TIMEOUT)
    // In a describe of its own: without redis-server under REQUIRE_SERVICES=1, only this one fails.
    describe('Redis', () => {
        const redis = useRedis()
        redisTest(
            'two instances on one Redis, each with its own store (as two processes)',
            () =>
                runSeeds('Redis', (seed) => {
                    const options = { url: redis().url, prefix: `lin-${seed}:` }
                    return [{ store: redisStore(options) }, { store: redisStore(options) }]
                }),
            TIMEOUT
        )
    })
})
