/**
 * Seeded random rounds of requests for the linearizability test: per client, a few requests
 * sent at once, each a small program (program.ts), some awaiting at random points, now and
 * then a page load (htmx's history restore among them), a login or a logout. Some record their
 * session's id (a login's new one too, before it awaits), and now and then a request ends the
 * id another client recorded last, as an app signs a user's other browser out.
 */
import { KEYS, type Step } from './program'

export const mulberry32 = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export interface Op {
    /** Unique in a run: `c<client>.<n>`, which also prefixes every value it writes. */
    id: string
    client: number
    steps: Step[]
    /** A page load (a browser navigation): its page scope is new, and the session's default one is dropped. */
    navigate: boolean
    /** A page load that is htmx's history restore: it names the page of `tab`, whose scope it drops too. */
    restore: boolean
    /**
     * Sent without the client's cookie, as from a private window: a first visit, whose session
     * the client does not go on with.
     */
    firstVisit: boolean
    /** Which app instance takes it (two with Redis). */
    instance: number
    /** Which page scope it names: 0 for none (the session's default one), n for the client's nth newest page. */
    tab: number
}

/** A login or logout: its response sets a new cookie, or a clearing one. */
export const isSessionOp = (op: Op) => op.steps.some((step) => step.do === 'login' || step.do === 'logout')

/** A read of every key: what each client does alone after each round, which pins the state down. */
export const readAll = (): Step[] => KEYS.map((key) => ({ do: 'read', key }))

export const generator = (seed: number, instances: number) => {
    const random = mulberry32(seed)
    const below = (n: number) => Math.floor(random() * n)
    const chance = (p: number) => random() < p
    const counters = new Map<number, number>()
    const nextId = (client: number) => {
        const n = (counters.get(client) ?? 0) + 1
        counters.set(client, n)
        return `c${client}.${n}`
    }
    const pauseStep = (): Step => {
        const kind = below(3)
        return kind === 0 ? { do: 'tick' } : kind === 1 ? { do: 'turn' } : { do: 'sleep', ms: 1 + below(3) }
    }
    /** Inserts up to `most` pauses at random places: before the first touch, between steps, after the last. */
    const withPauses = (steps: Step[], most: number) => {
        const result = [...steps]
        for (let i = below(most + 1); i > 0; i--) result.splice(below(result.length + 1), 0, pauseStep())
        return result
    }
    const action = (id: string, n: number): Step => {
        const value = `${id}.${n}`
        const roll = below(20)
        if (roll < 6) return { do: 'inc' }
        if (roll < 8) return { do: 'push', key: 'tags', value }
        if (roll < 10) return { do: 'push', key: 'cart', value }
        if (roll < 12) return { do: 'theme', value }
        if (roll < 13) return { do: 'setCount', value: 100 + below(900) }
        if (roll < 17) return { do: 'read', key: KEYS[below(KEYS.length)] ?? 'count' }
        if (roll < 19) return { do: 'reset', all: false }
        return { do: 'reset', all: true }
    }
    const op = (client: number, steps: (id: string) => Step[], navigate = false): Op => {
        const id = nextId(client)
        const restore = navigate && chance(0.5)
        // A restore names the page it replaces, a tab's; another page load names none.
        const tab = restore ? 1 + below(2) : navigate ? 0 : below(3)
        return { id, client, steps: steps(id), navigate, restore, firstVisit: false, instance: below(instances), tab }
    }
    const plain = (client: number) =>
        op(client, (id) => {
            const steps = Array.from({ length: 1 + below(3) }, (_, n) => action(id, n))
            if (chance(0.2)) steps.splice(below(steps.length + 1), 0, { do: 'record' })
            return chance(0.55) ? withPauses(steps, 2) : steps
        })
    /** A first visit that records its id (with an order, say), around a change or two. */
    const firstVisit = (client: number): Op => ({
        ...op(client, (id) => {
            const steps = Array.from({ length: 1 + below(2) }, (_, n) => action(id, n))
            steps.splice(below(steps.length + 1), 0, { do: 'record' }, { do: 'sleep', ms: 1 + below(3) })
            return steps
        }),
        firstVisit: true,
        tab: 0
    })
    /**
     * Ends the id `other` recorded last, among a change or two of its own, often after a pause;
     * `late`: after a sleep, as a login's new id is recorded by then.
     */
    const ender = (client: number, other: number, late: boolean) =>
        op(client, (id) => {
            const steps = Array.from({ length: below(3) }, (_, n) => action(id, n))
            const wait: Step[] = late ? [{ do: 'sleep', ms: 1 + below(2) }] : chance(0.6) ? [pauseStep()] : []
            steps.splice(below(steps.length + 1), 0, ...wait, { do: 'end', client: other })
            return steps
        })
    /** A page load reads, and may change a preserved key; its own page scope is left alone (it is new). */
    const pageLoad = (client: number) =>
        op(
            client,
            (id) => {
                const steps: Step[] = [
                    { do: 'read', key: 'theme' },
                    { do: 'read', key: 'count' }
                ]
                if (chance(0.5)) steps.push({ do: 'push', key: 'cart', value: `${id}.0` })
                return chance(0.5) ? withPauses(steps, 1) : steps
            },
            true
        )
    /**
     * A login (carrying over the preserved keys, then setting one; or after a full reset, as when
     * someone else signs in on that browser), a logout, or a logout that leaves a message for the
     * next page (a new session, after GUIDE.md), after what they read first.
     */
    const session = (client: number) =>
        op(client, (id) => {
            const before: Step[] = chance(0.5) ? [{ do: 'read', key: 'theme' }] : []
            if (chance(0.3)) before.push({ do: 'push', key: 'cart', value: `${id}.0` })
            if (chance(0.2)) before.push({ do: 'record' })
            // The login's new id, recorded with the account, then an await (an audit log): meanwhile
            // another client may end it.
            const told: Step[] = chance(0.8) ? [{ do: 'record' }, { do: 'sleep', ms: 1 + below(3) }] : []
            const roll = below(10)
            const ending: Step[] =
                roll < 4
                    ? [{ do: 'login' }, ...told, ...(chance(0.5) ? [{ do: 'theme', value: `${id}.1` } as Step] : [])]
                    : roll < 5
                      ? [{ do: 'reset', all: true }, { do: 'login' }, ...told]
                      : roll < 8
                        ? [{ do: 'logout' }]
                        : [{ do: 'logout' }, { do: 'login' }, ...told, { do: 'theme', value: `${id}.1` }]
            const steps = [...before, ...ending]
            return chance(0.6) ? withPauses(steps, 2) : steps
        })
    /**
     * One round: for each client, the ops it sends at once (at most one login or logout among
     * them, and now and then a first visit), and now and then an end of another client's latest
     * id: most often of one whose login or first visit records its new id in this round, to end
     * it while that request still runs.
     */
    return (clients: number): Op[][] => {
        const rounds = Array.from({ length: clients }, (_, client) => {
            const ops = Array.from({ length: 1 + below(5) }, () => (chance(0.1) ? pageLoad(client) : plain(client)))
            // In the session's default page scope: the ids of its pages would not verify after a login.
            if (chance(0.15)) ops.splice(below(ops.length + 1), 0, { ...session(client), tab: 0 })
            if (chance(0.1)) ops.push(firstVisit(client))
            return ops
        })
        const telling = rounds.flatMap((ops, client) =>
            ops.some((op) => {
                const login = op.steps.findIndex((step) => step.do === 'login')
                return op.firstVisit || (login >= 0 && op.steps.findLastIndex((step) => step.do === 'record') > login)
            })
                ? [client]
                : []
        )
        if (clients < 2) return rounds
        const otherThan = (client: number) => (client + 1 + below(clients - 1)) % clients
        // In place of one of the client's plain ops: more requests at once would slow the checker's search.
        const replace = (client: number, by: Op) => {
            const ops = rounds[client] ?? []
            const plainOnes = ops.flatMap((op, i) => (op.firstVisit || isSessionOp(op) ? [] : [i]))
            ops.splice(plainOnes[below(plainOnes.length)] ?? ops.length, 1, by)
        }
        for (const other of telling)
            if (chance(0.8)) {
                const client = otherThan(other)
                replace(client, ender(client, other, true))
            }
        for (const client of rounds.keys()) if (chance(0.2)) replace(client, ender(client, otherThan(client), false))
        return rounds
    }
}

/** The op each client sends after a round, alone but for its other tabs' (and, with no cookie, to begin a session). */
export const pinOp = (client: number, n: number, instance: number, tab: number): Op => ({
    id: `c${client}.pin${n}.${tab}`,
    client,
    steps: readAll(),
    navigate: false,
    restore: false,
    firstVisit: false,
    instance,
    tab
})
