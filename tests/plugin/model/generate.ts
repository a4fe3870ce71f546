/**
 * Random sequences for the model test: a seeded generator, the two profiles it draws from, the
 * fixed seeds, and the shrinking of a failing sequence to a shorter one that still fails.
 */
import { GRACE, IDLE, REFRESH, type StoreKind } from './app'
import { drawFault } from './faults'
import { type Browser, run, type World } from './harness'
import type { Op, PageRef, Request_, Route } from './ops'

// ---- Randomness ----

const mulberry32 = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

// ---- Generation ----

const pick = <T>(random: () => number, items: readonly T[]) => items[Math.floor(random() * items.length)] as T

/**
 * How a sequence is drawn: `wide` ends sessions, moves the clock, rotates secrets and replays
 * or forges cookies often; `tabs` keeps sessions alive and opens and writes from many pages,
 * to reach the page-scope limits.
 */
interface Profile {
    clients: number
    /** Chance of each kind of step that is not a request. */
    advance: number
    rotate: number
    close: number
    replay: number
    forge: number
    routes: [Route, number][]
}
const routes = (weights: Partial<Record<Route, number>>): [Route, number][] =>
    Object.entries(weights) as [Route, number][]
const PROFILES: Record<'wide' | 'tabs', Profile> = {
    wide: {
        clients: 3,
        advance: 0.12,
        rotate: 0.05,
        close: 0.02,
        replay: 0.03,
        forge: 0.02,
        routes: routes({
            page: 8,
            restore: 1,
            state: 8,
            themeGet: 2,
            inc: 10,
            tag: 4,
            note: 4,
            theme: 4,
            reset: 3,
            fullReset: 1,
            login: 3,
            logout: 2,
            logoutNotice: 1,
            fail: 1,
            softFail: 1
        })
    },
    tabs: {
        clients: 2,
        advance: 0.04,
        rotate: 0.005,
        close: 0.005,
        replay: 0.01,
        forge: 0.005,
        routes: routes({
            page: 10,
            restore: 1,
            state: 10,
            themeGet: 1,
            inc: 12,
            tag: 3,
            note: 6,
            theme: 3,
            reset: 2,
            fullReset: 0.3,
            login: 0.5,
            logout: 0.3,
            logoutNotice: 0.2,
            fail: 0.5,
            softFail: 0.5
        })
    }
}

/**
 * `faults`: the chance that a request's store fails one of its calls, drawn from a stream of
 * its own, so that a seed's requests are the same with faults and without. `instances`: with
 * two, each request goes to one of them at random (from a stream of its own too). Half the
 * requests call `scopedStateSize()` (a stream of its own as well).
 */
export const generator = (seed: number, length: number, profile: Profile, faults = 0, instances = 1) => {
    const random = mulberry32(seed)
    const faultRandom = mulberry32(seed ^ 0xfa17)
    const balancer = mulberry32(seed ^ 0xba1a)
    const sizing = mulberry32(seed ^ 0x512e)
    const total = profile.routes.reduce((sum, [, weight]) => sum + weight, 0)
    let threshold = 0
    const [advance, rotate, close, replay, forge] = [
        profile.advance,
        profile.rotate,
        profile.close,
        profile.replay,
        profile.forge
    ].map((p) => (threshold += p))
    const chance = (p: number) => random() < p
    const int = (n: number) => Math.floor(random() * n)
    /** At the end, each client reads its default scope and its two latest pages. */
    const probes: Op[] = []
    return (step: number, { browsers }: World): Op | undefined => {
        if (step === length)
            browsers.forEach(({ pages }, c) => {
                probes.push({ t: 'req', c, route: 'state' })
                for (const nth of [pages.length - 2, pages.length - 1])
                    if (nth >= 0) probes.push({ t: 'req', c, route: 'state', via: 'header', page: { owner: c, nth } })
            })
        if (step >= length) return probes.shift()
        const roll = random()
        if (roll < (advance as number)) {
            const ms = pick(random, [
                () => int(3_000),
                () => 30_000 + int(40_000),
                () => (REFRESH - 5 + int(10)) * 1000 + int(1000),
                () => (IDLE - REFRESH - 5 + int(10)) * 1000,
                () => (IDLE - 5 + int(10)) * 1000 + int(1000),
                () => (GRACE - 2 + int(4)) * 1000 + int(1000),
                () => 400_000 + int(400_000),
                () => -int(50_000),
                () => -(REFRESH + 50) * 1000
            ])()
            return { t: 'advance', ms }
        }
        if (roll < (rotate as number))
            return { t: 'rotate', how: pick(random, ['add', 'add', 'drop', 'restart'] as const) }
        const c = int(profile.clients)
        if (roll < (close as number)) return { t: 'close', c }
        if (roll < (replay as number))
            return { t: 'replay', c, from: chance(0.7) ? c : int(profile.clients), nth: int(1000) }
        if (roll < (forge as number))
            return {
                t: 'forge',
                c,
                how: pick(random, ['junk', 'proto', 'long', 'tamper', 'extend', 'unsigned'] as const)
            }
        let weight = random() * total
        let route: Route = 'state'
        for (const [candidate, w] of profile.routes) {
            weight -= w
            if (weight < 0) {
                route = candidate
                break
            }
        }
        const op: Request_ = { t: 'req', c, route }
        if (route === 'tag') op.arg = pick(random, ['a', 'b', 'c'])
        if (route === 'note') op.arg = pick(random, ['small', 'small', 'medium', 'medium', 'medium', 'large'])
        if (route === 'theme') op.arg = pick(random, ['dark', 'light', 'blue'])
        if (route === 'login') op.arg = pick(random, ['keep', 'remember', 'forget'])
        const own = browsers[c] as Browser
        const ref = (): PageRef => {
            const r = random()
            // Mostly its own latest page, sometimes an older one, another client's, or a forged one.
            if (r < 0.6) return { owner: c, nth: Math.max(0, own.pages.length - 1) }
            if (r < 0.8) return { owner: c, nth: int(1000) }
            if (r < 0.92) return { owner: int(profile.clients), nth: int(1000) }
            return { forged: pick(random, ['AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'nope', '']) }
        }
        if (route === 'page') {
            // A Post/Redirect/Get target carries the page id.
            if (chance(0.3)) {
                op.via = 'query'
                op.page = ref()
            }
        } else if (route === 'restore') op.page = ref()
        else {
            const r = random()
            if (r < 0.55) {
                op.via = 'header'
                op.page = ref()
            } else if (r < 0.7) {
                op.via = 'query'
                op.page = ref()
            }
        }
        if (chance(0.1)) op.https = true
        if (chance(0.05)) op.junkFirst = true
        if (chance(0.3)) op.second = true
        const fault = faults > 0 ? drawFault(faultRandom, route, faults) : undefined
        if (fault) op.fault = fault
        if (instances > 1 && balancer() < 0.5) op.elsewhere = true
        if (sizing() < 0.5) op.sized = true
        return op
    }
}

/** `ops` with no request calling `scopedStateSize()`. */
export const withoutSizes = (ops: Op[]): Op[] =>
    ops.map((op) => {
        if (op.t !== 'req' || !op.sized) return op
        const { sized: _, ...unsized } = op
        return unsized
    })

/**
 * `count` seeds from `first`, each `from` steps along: `MODEL_SEED_FROM=1500` explores beyond the
 * seeds earlier runs passed without running them again.
 */
const seeds = (first: number, count: string | undefined, fallback: number) =>
    Array.from(
        { length: Number(count ?? fallback) },
        (_, i) => first + (Number(Bun.env.MODEL_SEED_FROM ?? 0) + i) * 7919
    )

/** Fixed seeds: the same sequences on every run (`MODEL_SEEDS=500` draws more, to explore). */
export const SEEDS = seeds(0x5eed, Bun.env.MODEL_SEEDS, 32)
export const LENGTH = 200
/** Seeds run with store faults, and the chance of one per request. */
export const FAULT_SEEDS = seeds(0xfa17, Bun.env.MODEL_FAULT_SEEDS, 12)
export const FAULT_RATE = 0.2
/** Even seeds draw `wide` sequences, odd ones `tabs`. */
export const profileOf = (seed: number) => (seed % 2 === 0 ? PROFILES.wide : PROFILES.tabs)

/**
 * Drops ops one at a time, the last one (the failing request) kept, while the sequence still
 * fails (with any mismatch), pass after pass: a shorter sequence to read.
 */
export const shrink = async (kind: StoreKind, ops: Op[]) => {
    let current = ops
    let budget = 600
    for (let shorter = true; shorter && budget > 0; ) {
        shorter = false
        for (let i = current.length - 2; i >= 0 && budget > 0; i--, budget--) {
            const candidate = [...current.slice(0, i), ...current.slice(i + 1)]
            if ((await run(kind, (step) => candidate[step])).error) {
                current = candidate
                shorter = true
            }
        }
    }
    return current
}
