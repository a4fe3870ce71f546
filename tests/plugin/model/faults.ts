/**
 * Store faults inside the model test's sequences: a store wrapper that makes one chosen call of a
 * request fail (down before acting, or a write that ran, or did not, and lost its answer), and what
 * the model then expects the request to answer (GUIDE "Security model": 503, the browser left on
 * its session, the state as it was but for an unanswered write, a login that saved its new session
 * succeeding anyway).
 */
import { type Store, StoreUnavailableError } from '../../../plugins/scoped-state'
import type { Model } from './model'
import type { Plan } from './plan'

/**
 * The `nth` call (from 0) of kind `call` in a request: `down` throws before it acts; a write
 * `unanswered` runs and then throws `unanswered`; `unsent` throws `unanswered` without running
 * (the request cannot tell these two apart: the model learns which from the store).
 */
export type Fault = {
    call: 'load' | 'save' | 'delete' | 'release'
    nth: number
    how: 'down' | 'unanswered' | 'unsent'
}
/** A fault that fired: on which session id, and whether the call was applied. */
export type Fired = Fault & { id: string; applied: boolean }

/** What one request did to the store: the fault that fired, the ids it saved and deleted, and the records it saved. */
export interface Tapped {
    fired: Fired | undefined
    saved: string[]
    deleted: string[]
    records: string[]
}

/** `then` once `answer` settled well (at once when it is no promise); the answer kept. */
const after = <T>(answer: T, then: () => void): T => {
    if (!(answer instanceof Promise)) {
        then()
        return answer
    }
    return answer.then((value) => {
        then()
        return value
    }) as T
}

/**
 * `inner` with the fault `arm` sets for the next request, and what `collect` reports of it. A store
 * answering with promises (Redis) fails with a rejected one, after the write that ran settled.
 */
export const faulty = (inner: Store) => {
    const { atomically } = inner
    let armed: Fault | undefined
    let counts = { load: 0, save: 0, delete: 0, release: 0 }
    let tapped: Tapped = { fired: undefined, saved: [], deleted: [], records: [] }
    const call = <T>(kind: Fault['call'], id: string, act: () => T): T => {
        const fault = armed?.call === kind && armed.nth === counts[kind]++ ? armed : undefined
        if (!fault) return act()
        // A store that locks sends its unlock before `release` returns (store.ts): this one was
        // sent, and its answer lost. One that never reached Redis is the store's own to recover
        // (it sends it again, or takes its lock over: redis.test.ts); failed here, unsent, its lock
        // would hold the session for its whole lease.
        const applied = fault.how === 'unanswered' || (kind === 'release' && !inner.synchronous)
        tapped.fired = { ...fault, id, applied }
        const error = new StoreUnavailableError('injected fault', { unanswered: fault.how !== 'down' })
        const answer = applied ? act() : undefined
        if (inner.synchronous) throw error
        return Promise.resolve(answer).then(() => Promise.reject(error)) as T
    }
    const store: Store = {
        ...inner,
        load: (id, ttl) => call('load', id, () => inner.load(id, ttl)),
        save: (id, record, ttl, from) =>
            call('save', id, () =>
                after(inner.save(id, record, ttl, from), () => {
                    tapped.saved.push(id)
                    tapped.records.push(record)
                })
            ),
        delete: (id, ttl) => call('delete', id, () => after(inner.delete(id, ttl), () => tapped.deleted.push(id))),
        release: (id) => call('release', id, () => inner.release(id)),
        // A commit's transaction (SQLite) that a fault stops is undone: none of its writes happened.
        atomically:
            atomically &&
            ((writes) => {
                const { fired, saved, deleted, records } = tapped
                const before = [saved.length, deleted.length, records.length] as const
                try {
                    return atomically(writes)
                } catch (error) {
                    saved.length = before[0]
                    deleted.length = before[1]
                    records.length = before[2]
                    if (tapped.fired !== fired && tapped.fired) tapped.fired.applied = false
                    throw error
                }
            })
    }
    return {
        store,
        arm(fault: Fault | undefined) {
            armed = fault
            counts = { load: 0, save: 0, delete: 0, release: 0 }
            tapped = { fired: undefined, saved: [], deleted: [], records: [] }
        },
        collect(): Tapped {
            armed = undefined
            return tapped
        }
    }
}
export type Tap = ReturnType<typeof faulty>

/**
 * A fault for a request to `route`, with chance `rate` (drawn from `random`): logins and logouts,
 * rarer, get one three times as often, mostly in their delete.
 */
export const drawFault = (random: () => number, route: string, rate: number): Fault | undefined => {
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T
    const ends = route === 'login' || route === 'logout' || route === 'logoutNotice'
    if (random() >= (ends ? 3 * rate : rate)) return undefined
    const call = pick(
        ends ? (['delete', 'delete', 'save', 'load'] as const) : (['load', 'save', 'save', 'release'] as const)
    )
    const writes = call === 'save' || call === 'delete'
    return {
        call,
        // A write's second load (synchronous stores load again before saving, a login its old id too).
        nth: call === 'load' ? pick([0, 0, 1]) : 0,
        how: writes ? pick(['down', 'unanswered', 'unsent'] as const) : 'down'
    }
}

/** Sends a request (`send`) with `fault` armed: its response, what the store saw, and whether it logged a warning. */
export const sendWith = async (tap: Tap, fault: Fault | undefined, send: () => Promise<Response>) => {
    tap.arm(fault)
    const warn = console.warn
    let warned = false
    console.warn = () => {
        warned = true
    }
    try {
        const response = await send()
        return { response, tapped: tap.collect(), warned }
    } finally {
        console.warn = warn
    }
}

/**
 * The plan of a request that ran with `tapped` (`planOf(loaded)`: `loaded` when its first load
 * ran), and the problems its store calls show: a call the model did not plan, or a write to
 * another client's session.
 */
export const planFaulted = (model: Model, tapped: Tapped, planOf: (loaded: boolean) => Plan) => {
    const { fired } = tapped
    const unfaulted = planOf(!(fired?.call === 'load' && fired.nth === 0))
    const plan = faulted(model, unfaulted, tapped)
    const problems: string[] = []
    const unplanned = unplannedCall(unfaulted, fired)
    if (unplanned) problems.push(`${unplanned} (${JSON.stringify(fired)})`)
    // A request writes its own session or a new one, whatever fails: never another client's.
    const known = new Set([...model.records.keys(), ...[...model.cookies.values()].map((meta) => meta.id)])
    for (const id of [...tapped.saved, ...tapped.deleted])
        if (id !== plan.session && known.has(id)) problems.push(`wrote session ${id}, not its own`)
    return { plan, problems }
}

/** Why `fired` could not fire in a request the model planned as `plan`, if it could not. */
const unplannedCall = (plan: Plan, fired: Fired | undefined) => {
    if (fired?.call === 'save' && !plan.write) return 'the store was asked to save, which the model did not plan'
    if (fired?.call === 'delete' && plan.ends === undefined)
        return 'the store was asked to delete, which the model did not plan'
    return undefined
}

/**
 * What `plan` (the request without the fault) becomes when `fired`. A failed store call answers
 * 503 and sends no cookie: the browser stays on its session, whose state stays as it was, but for
 * a write that ran and lost its answer. A login whose new session was saved succeeds even if
 * deleting the old one fails (logged); a logout whose delete fails answers 503, still signed in.
 */
export const faulted = (model: Model, plan: Plan, { fired, saved }: Tapped): Plan => {
    if (!fired || fired.call === 'release') return plan
    const failed = (apply: Plan['apply']): Plan => ({
        ...plan,
        status: 503,
        body: { kind: fired.how === 'down' ? 'unavailable' : 'unanswered' },
        cookie: { kind: 'none' },
        noStore: undefined,
        apply
    })
    const nothing = () => {}
    switch (fired.call) {
        case 'load':
            return failed(nothing)
        case 'save':
            // Under the id it ran on: a new visitor's or a login's new one, which no cookie carries.
            return failed(fired.applied ? () => plan.write?.(fired.id) : nothing)
        case 'delete': {
            const ended = plan.ends as string
            if (plan.logout)
                return failed(() => {
                    // A logout that regenerated saved its new session first: no cookie carries it.
                    if (saved[0] !== undefined) plan.write?.(saved[0])
                    if (fired.applied) model.deleted(ended, plan.markTtl)
                })
            return {
                ...plan,
                warns: true,
                apply: (cookieId) => {
                    plan.write?.(cookieId)
                    // Ended here either way; its record is gone only if the delete ran.
                    model.endedHere(ended, fired.applied)
                    if (fired.applied) model.deleted(ended, plan.markTtl)
                }
            }
        }
    }
}
