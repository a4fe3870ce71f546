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
 * The app's ends of the session (`endScopedSession(id)`) take effect at one point between their
 * call and their return, as do those of a login's new id; a request that loads the session
 * after its end is a new session of its own, checked alone (with the ends of its own new id), as
 * is a first visit.
 * A search over the orders (memoized by what is done and the state) finds the states a round
 * can end in; none is a violation.
 */
import { isSessionOp } from './generate'
import type { Call, History } from './history'
import { endIn, equal, fresh, outcome, recordedIds, StalePage, View, type World } from './model'
import { type End, hasPause, runNow } from './program'

/** Runs `call`'s program on `world` as its snapshot; `undefined` when it saw something else there. */
const snapshot = (call: Call, world: World) => {
    const view = new View(world.ended ? undefined : world.values, call.page, call.op.navigate)
    const saw = runNow(call.op.steps, view)
    return equal(saw, call.saw) ? view : undefined
}

/** The JSON of a world or a pending read, made once: the search keys its states by it, and shares them. */
const jsons = new WeakMap<object, string>()
const jsonOf = (value: object) => {
    const known = jsons.get(value) ?? JSON.stringify(value)
    jsons.set(value, known)
    return known
}

/** Past this many search steps a round is reported instead of searched on. */
const BUDGET = 2_000_000

export interface Timing {
    /** The call reads and commits at one point. */
    atomic: (call: Call) => boolean
    /** It reads no later than the other calls that ended before it began allow (else, before it first touched its state). */
    readsAtStart: (call: Call) => boolean
}

/**
 * The worlds each order of `calls` and `ends` (consistent with real time) can end in, from any
 * of `starts`. `alone(i)`: the worlds call i ends in as a new session of its own, when it loads
 * the session after the app ended it (none: it cannot be one); without it, such a call reads as
 * one that loaded before the end.
 */
export const endsOf = (
    starts: World[],
    calls: Call[],
    ends: End[],
    { atomic, readsAtStart }: Timing,
    alone?: (i: number) => World[]
) => {
    const found = new Map<string, World>()
    const explored = new Set<string>()
    const all = 2 ** (calls.length + ends.length) - 1
    const windows = [
        ...calls.map(({ start, end }) => ({ start, end })),
        ...ends.map(({ called, returned }) => ({ start: called, end: returned }))
    ]
    // What ended before each one began, or first touched its state: it took effect before it,
    // and before it read.
    const endedBefore = (time: number) =>
        windows.reduce((mask, other, j) => (other.end < time ? mask | (1 << j) : mask), 0)
    const began = windows.map(({ start }) => endedBefore(start))
    const touched = calls.map((call) => endedBefore((readsAtStart(call) ? undefined : call.touched) ?? call.start))
    const after = (masks: number[], i: number, done: number) => ((masks[i] ?? 0) & done) === masks[i]
    let steps = 0
    /** A call that read and has yet to commit; `stale`: it read what the session held before it ended. */
    type Pending = { from: World; view: View; stale: boolean } | undefined
    const visit = (done: number, reading: number, world: World, pending: Pending[]) => {
        if (++steps > BUDGET) throw new Error(`the search took over ${BUDGET} steps`)
        if (done === all) return void found.set(JSON.stringify(world), world)
        const key = `${done} ${reading} ${jsonOf(world)} ${pending.map((read) => (read ? jsonOf(read) : '')).join(' ')}`
        if (explored.has(key)) return
        explored.add(key)
        for (const [j, end] of ends.entries()) {
            const bit = 1 << (calls.length + j)
            if (!(done & bit) && after(began, calls.length + j, done))
                visit(done | bit, reading, endIn(world, end.id), pending)
        }
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
            if (alone && world.byApp) {
                // Loaded after the app ended its session: a new session of its own, at once.
                if (alone(i).length > 0)
                    visit(done | bit, reading, { ...world, newSessions: world.newSessions | bit }, pending)
                if (world.byApp === 'only') continue
            }
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
    return { ends: [...found.values()], steps }
}

/**
 * The worlds `call` ends in as a new session of its own, begun after the app ended the one it
 * sent, with `ends` (those of its own new ids): none when it cannot be one. In a page of the
 * ended session, a key of the page scope or a reset throws (`StalePageError`, 409) and nothing is saved.
 */
const newSessionEnds = (call: Call, ends: End[], timing: Timing): World[] => {
    const { before } = recordedIds(call)
    if (before.includes(call.sent)) return []
    const start = fresh(undefined, before[0] ?? call.cookie ?? '')
    if (call.page && !call.op.navigate)
        try {
            runNow(call.op.steps, new View(undefined, call.page, false, true))
        } catch (error) {
            if (!(error instanceof StalePage)) throw error
            const refused = call.status === 409 && call.saw === undefined && call.cookie === undefined
            return refused && call.body.includes('out of date') ? [start] : []
        }
    return endsOf([start], [call], ends, timing).ends
}

const describe = (call: Call) =>
    `  [${call.start}${call.touched === undefined ? '' : `~${call.touched}`}-${call.end}] ${call.status} ${call.op.id}${call.op.navigate ? ' (page load)' : ''}${call.page ? ` in page ${call.page.slice(0, 8)}` : ''} ` +
    `on ${call.sent || 'no session'} via app ${call.op.instance}: ${JSON.stringify(call.op.steps)} saw ${JSON.stringify(call.saw)}` +
    (call.recorded.length > 0 ? ` recorded ${call.recorded.join(', ')}` : '') +
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
 * when it began (it loads then, and never again). The app's end takes no lock: a request of the
 * locking path that overlaps one reads and commits at two points.
 */
export const check = (
    history: History,
    paths: Path[],
    stats = { calls: 0, refused: 0, paged: 0, steps: 0, ends: 0, newSessions: 0, newIdsEnded: 0 }
) => {
    if (history.revived.length > 0) return `a store holds a record under an id the app ended: ${history.revived[0]}`
    const locking = (call: Call) => paths[call.op.instance] === 'locking'
    const base: Timing = paths.every((path) => path === 'locking')
        ? { atomic: () => true, readsAtStart: () => false }
        : { atomic: (call: Call) => !locking(call) && !hasPause(call.op.steps), readsAtStart: locking }
    const timingWith = (ends: End[]): Timing => ({
        atomic: (call) =>
            base.atomic(call) &&
            !(locking(call) && ends.some((end) => end.called < call.end && end.returned > call.start)),
        readsAtStart: base.readsAtStart
    })
    stats.ends += history.ends.flat().length
    const ids = new Set<string>()
    for (const [client, rounds] of history.calls.entries()) {
        let worlds = [fresh()]
        for (const [n, round] of rounds.entries()) {
            const fail = (why: string) =>
                `client ${client}, round ${n}: ${why}\nfrom ${JSON.stringify(worlds.map((world) => [world.id, world.byApp ? 'ended by the app' : '', world.values]))}\n` +
                rounds
                    .slice(Math.max(0, n - 2), n + 1)
                    .map((round, r) => `round ${Math.max(0, n - 2) + r}:\n${round.map(describe).join('\n')}`)
                    .join('\n') +
                `\nends: ${JSON.stringify(history.ends[n])}`
            stats.calls += round.length
            // First visits (from a private window) are sessions of their own, checked alone.
            const calls = round.filter((call) => !call.op.firstVisit)
            const visits = round.filter((call) => call.op.firstVisit)
            const sent = calls[0]?.sent ?? ''
            if (!sent) worlds = [fresh()]
            for (const call of round) {
                if (call.sent !== (call.op.firstVisit ? '' : sent)) return fail(`${call.op.id} sent another session`)
                if (call.page && !call.op.navigate) stats.paged++
                if (call.status === 409) stats.refused++
                else if (call.status !== 200) return fail(`${call.op.id} answered ${call.status}`)
                const stalePage = call.status === 409 && call.body.includes('out of date')
                if (call.saw === undefined && !stalePage) return fail(`${call.op.id}'s handler did not run`)
                if (call.status === 200 && !equal(JSON.parse(call.body), call.saw))
                    return fail(`${call.op.id} answered other than its handler saw`)
                const others = foreign(call.saw, client)
                if (others.length > 0) return fail(`${call.op.id} saw another session's values: ${others.join(', ')}`)
                // Which cookie it must send depends on the order (outcome, model.ts); a new id is never one seen before.
                if (call.cookie && ids.has(call.cookie)) return fail(`${call.op.id} sent cookie ${call.cookie} again`)
                if (call.cookie) ids.add(call.cookie)
            }
            if (sent) ids.add(sent)
            const endsOfIds = (ids: string[]) => (history.ends[n] ?? []).filter((end) => ids.includes(end.id))
            for (const visit of visits) {
                const own = endsOfIds(visit.recorded)
                if (newSessionEnds(visit, own, timingWith(own)).length === 0)
                    return fail(`no order explains the first visit ${visit.op.id} alone`)
            }
            // Of this session, and of the new ids its logins recorded: a new session's own are checked alone.
            const ends = endsOfIds([...(sent ? [sent] : []), ...calls.flatMap((call) => recordedIds(call).after ?? [])])
            const timing = timingWith(ends)
            const alones = new Map<number, World[]>()
            const alone = (i: number) => {
                const call = calls[i] as Call
                const known = alones.get(i) ?? (sent ? newSessionEnds(call, endsOfIds(call.recorded), timing) : [])
                alones.set(i, known)
                return known
            }
            const found = endsOf(worlds, calls, ends, timing, alone)
            stats.steps = Math.max(stats.steps, found.steps)
            if (found.ends.length === 0) return fail('no order of these requests explains their answers')
            // The session the client goes on with: the cookie the last response that set one gave.
            const keptAt = calls.findLastIndex((call) => call.pair !== undefined)
            const kept = calls[keptAt]
            const next = found.ends.flatMap((world): World[] => {
                if (!kept) return [fresh(world.values, world.id, world.ended && world.byApp !== undefined)]
                if (world.newSessions & (1 << keptAt))
                    return alone(keptAt).map((own) =>
                        fresh(
                            own.next ?? own.values,
                            kept.cookie,
                            own.nextEnded || (own.ended && own.byApp !== undefined)
                        )
                    )
                return [fresh(world.next ?? world.values, kept.cookie, world.nextEnded)]
            })
            stats.newSessions += calls.filter((call) => sent && call.cookie && !isSessionOp(call.op)).length
            stats.newIdsEnded += round.filter(
                (call) =>
                    call.status === 409 &&
                    endsOfIds(call.recorded).some((end) => end.id !== sent && end.called < call.end)
            ).length
            const unique = new Map(next.map((world) => [JSON.stringify([world.values, world.ended]), world]))
            if (unique.size > 64) return fail(`${unique.size} states remain possible: the pins do not narrow them down`)
            worlds = [...unique.values()]
        }
    }
    return undefined
}
