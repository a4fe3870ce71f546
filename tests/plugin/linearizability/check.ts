/**
 * The checker: whether a history (history.ts) can be explained by some order of its requests
 * consistent with real time, as GUIDE.md's security model promises. Sessions are independent,
 * so each client's history is checked alone (linearizability is local), round by round: a round
 * ends before the next begins, and the pins after each round narrow the possible states.
 *
 * A request takes effect at one point between its start and its end when the plugin locks
 * (Redis, `serializeRequests`) or its handler is synchronous. Otherwise (memory, SQLite, a
 * handler that awaits) it reads at one point and commits at a later one, where `outcome`
 * (model.ts) rebases it key by key. It reads no earlier than its first touch of the state
 * (the guide: the record is loaded again there), except that a request begun before its
 * session ended reads the state from before the end (the guide says so too); a request of the
 * locking path sharing a store with the synchronous one reads when it begins (it loads then).
 * A search over the orders (memoized by what is done and the state) finds the states a round
 * can end in; none is a violation.
 */
import type { Call, History } from './history'
import { equal, fresh, outcome, View, type World } from './model'
import { hasPause, runNow } from './program'

/** Runs `call`'s program on `world` as its snapshot; `undefined` when it saw something else there. */
const snapshot = (call: Call, world: World) => {
    const view = new View(world.ended ? undefined : world.values, call.page, call.op.navigate)
    const saw = runNow(call.op.steps, view)
    return equal(saw, call.saw) ? view : undefined
}

/** Past this many search steps a round is reported instead of searched on. */
const BUDGET = 2_000_000

/**
 * The worlds each order of `calls` (consistent with real time) can end in, from any of `starts`.
 * `atomic(call)`: the call reads and commits at one point; `readsAtStart(call)`: it reads no
 * later than the other calls that ended before it began allow (else, before it first touched its state).
 */
export const endsOf = (
    starts: World[],
    calls: Call[],
    { atomic, readsAtStart }: { atomic: (call: Call) => boolean; readsAtStart: (call: Call) => boolean }
) => {
    const ends = new Map<string, World>()
    const explored = new Set<string>()
    const all = (1 << calls.length) - 1
    // Calls that ended before each one began, or first touched its state: they took effect
    // before it, and before it read.
    const endedBefore = (time: number) =>
        calls.reduce((mask, other, j) => (other.end < time ? mask | (1 << j) : mask), 0)
    const began = calls.map((call) => endedBefore(call.start))
    const touched = calls.map((call) => endedBefore((readsAtStart(call) ? undefined : call.touched) ?? call.start))
    const after = (masks: number[], i: number, done: number) => ((masks[i] ?? 0) & done) === masks[i]
    let steps = 0
    /** A call that read and has yet to commit; `stale`: it read what the session held before it ended. */
    type Pending = { from: World; view: View; stale: boolean } | undefined
    const visit = (done: number, reading: number, world: World, pending: Pending[]) => {
        if (++steps > BUDGET) throw new Error(`the search took over ${BUDGET} steps`)
        if (done === all) return void ends.set(JSON.stringify(world), world)
        const key = `${done} ${reading} ${JSON.stringify(world)} ${JSON.stringify(pending)}`
        if (explored.has(key)) return
        explored.add(key)
        for (const [i, call] of calls.entries()) {
            const bit = 1 << i
            if (done & bit) continue
            const read = pending[i]
            if (read) {
                const next = read.stale && !world.ended ? undefined : outcome(call, read.from, world, read.view)
                if (next) visit(done | bit, reading & ~bit, next, pending.with(i, undefined))
                continue
            }
            if (!after(began, i, done)) continue
            // The synchronous path loads the record again at the first touch, unless the session was
            // ended by then: the request then reads the state it loaded before (GUIDE.md), and commits
            // into the ended session.
            const stale = !after(touched, i, done)
            if (stale && (atomic(call) || world.ended)) continue
            const view = snapshot(call, world)
            if (!view) continue
            if (!atomic(call)) visit(done, reading | bit, world, pending.with(i, { from: world, view, stale }))
            else {
                const next = outcome(call, world, world, view)
                if (next) visit(done | bit, reading, next, pending)
            }
        }
    }
    for (const start of starts) visit(0, 0, start, Array(calls.length).fill(undefined))
    return { ends: [...ends.values()], steps }
}

const describe = (call: Call) =>
    `  [${call.start}${call.touched === undefined ? '' : `~${call.touched}`}-${call.end}] ${call.status} ${call.op.id}${call.op.navigate ? ' (page load)' : ''}${call.page ? ` in page ${call.page.slice(0, 8)}` : ''} ` +
    `on ${call.sent || 'no session'} via app ${call.op.instance}: ${JSON.stringify(call.op.steps)} saw ${JSON.stringify(call.saw)}` +
    (call.cookie === undefined ? '' : ` set-cookie ${call.cookie || '(cleared)'}`) +
    (call.status === 200 ? '' : ` "${call.body.slice(0, 80)}"`)

/** Strings in `value` that are not `client`'s own (nor a default). */
const foreign = (value: unknown, client: number): string[] =>
    typeof value === 'string'
        ? value === 'none' || value.startsWith(`c${client}.`)
            ? []
            : [value]
        : Array.isArray(value)
          ? value.flatMap((item) => foreign(item, client))
          : []

/** How an app instance keeps a session's requests apart: plugin's synchronous path, or its locking one. */
export type Path = 'synchronous' | 'locking'

/**
 * Checks a history, whose instances took the `paths` given; returns what no order explains,
 * with the client's history up to there, or `undefined`. When every instance locks (one store
 * with `serializeRequests`, or Redis), every request takes effect at one point; else only a
 * synchronous handler on the synchronous path does, and a request of the locking path reads
 * when it began (it loads then, and never again).
 */
export const check = (history: History, paths: Path[], stats = { calls: 0, refused: 0, paged: 0, steps: 0 }) => {
    const locking = (call: Call) => paths[call.op.instance] === 'locking'
    const timing = paths.every((path) => path === 'locking')
        ? { atomic: () => true, readsAtStart: () => false }
        : { atomic: (call: Call) => !locking(call) && !hasPause(call.op.steps), readsAtStart: locking }
    const ids = new Set<string>()
    for (const [client, rounds] of history.entries()) {
        let worlds = [fresh()]
        for (const [n, calls] of rounds.entries()) {
            const fail = (why: string) =>
                `client ${client}, round ${n}: ${why}\nfrom ${JSON.stringify(worlds.map((world) => world.values))}\n` +
                rounds
                    .slice(Math.max(0, n - 2), n + 1)
                    .map((round, r) => `round ${Math.max(0, n - 2) + r}:\n${round.map(describe).join('\n')}`)
                    .join('\n')
            stats.calls += calls.length
            const sent = calls[0]?.sent ?? ''
            if (!sent) worlds = [fresh()]
            for (const call of calls) {
                if (call.sent !== sent) return fail(`${call.op.id} sent another session`)
                if (call.page && !call.op.navigate) stats.paged++
                if (call.status === 409) stats.refused++
                else if (call.status !== 200) return fail(`${call.op.id} answered ${call.status}`)
                if (call.saw === undefined) return fail(`${call.op.id}'s handler did not run`)
                if (call.status === 200 && !equal(JSON.parse(call.body), call.saw))
                    return fail(`${call.op.id} answered other than its handler saw`)
                const others = foreign(call.saw, client)
                if (others.length > 0) return fail(`${call.op.id} saw another session's values: ${others.join(', ')}`)
                // A cookie comes only with a new session, a login's new id, or a logout's clearing one.
                const steps = call.op.steps.map((step) => step.do)
                const expected =
                    !sent || (call.status === 200 && steps.includes('login'))
                        ? 'new'
                        : call.status === 200 && steps.includes('logout')
                          ? 'cleared'
                          : 'none'
                const got = call.cookie === undefined ? 'none' : call.cookie === '' ? 'cleared' : 'new'
                if (got !== expected || (got === 'new' && ids.has(call.cookie as string)))
                    return fail(
                        `${call.op.id} sent ${got === 'new' ? `cookie ${call.cookie}` : got} (expected ${expected})`
                    )
                if (call.cookie) ids.add(call.cookie)
            }
            if (sent) ids.add(sent)
            const { ends, steps } = endsOf(worlds, calls, timing)
            stats.steps = Math.max(stats.steps, steps)
            if (ends.length === 0) return fail('no order of these requests explains their answers')
            const unique = new Map(ends.map((world) => [JSON.stringify(world.next ?? world.values), world]))
            if (unique.size > 64) return fail(`${unique.size} states remain possible: the pins do not narrow them down`)
            worlds = [...unique.values()].map((world) => fresh(world.next ?? world.values))
        }
    }
    return undefined
}
