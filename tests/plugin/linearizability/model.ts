/**
 * The checker's model of one session, as GUIDE.md's security model describes it (and, where the
 * guide is vague, as `ScopedSession` does it, said so below): its values, the view a request
 * reads, and what a request's commit does to them, or whether its answer is possible at all.
 */
import type { Call } from './history'
import { initial, type Key, PAGE_KEYS, type Target } from './program'

type Scope = Partial<Record<Key, unknown>>
/** The values that are not defaults: of the session scope, and of each page scope by page id (`''`: the default one). */
export interface Values {
    s: Scope
    p: Record<string, Scope>
}

export const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const isPage = (key: Key) => PAGE_KEYS.includes(key)
const SESSION_KEYS = (['theme', 'cart'] as const).filter((key) => !isPage(key))

/** `s` and `p` without defaults, in one key order: equal values give equal JSON. */
const normalize = (s: Scope, p: Record<string, Scope>): Values => {
    const scope = (from: Scope, keys: readonly Key[]) =>
        Object.fromEntries(
            keys
                .filter((key) => Object.hasOwn(from, key) && !equal(from[key], initial(key)))
                .map((key) => [key, from[key]])
        )
    const pages = Object.keys(p)
        .sort()
        .map((page) => [page, scope(p[page] ?? {}, PAGE_KEYS)] as const)
        .filter(([, values]) => Object.keys(values).length > 0)
    return { s: scope(s, SESSION_KEYS), p: Object.fromEntries(pages) }
}

/** The model's state of the session a round's requests carry. */
export interface World {
    /** A login or logout of this round ended it: it reads as empty, and refuses changes. */
    ended: boolean
    values: Values
    /** After a login: the new session's values. */
    next: Values | undefined
    /** Accepted saves in this round so far: one since a request read allows a 409. */
    saves: number
    /**
     * Per key (`count@<page>` for a page scope's), accepted saves that changed, read or cleared
     * it, and so may have changed its JSON; `*` counts full resets.
     */
    touched: Record<string, number>
}

export const fresh = (values: Values = { s: {}, p: {} }): World => ({
    ended: false,
    values,
    next: undefined,
    saves: 0,
    touched: {}
})

/**
 * A request's own view, as `ScopedSession` keeps it: which keys it assigned, the JSON of each
 * list it was handed (changed if that differs at the end), what it reset, and its login or logout.
 */
export class View implements Target {
    s: Scope = {}
    p: Scope = {}
    written = new Set<Key>()
    handedOut = new Map<Key, string | undefined>()
    read = new Set<Key>()
    cleared: 'page' | 'all' | undefined
    loggedIn = false
    loggedOut = false

    /** `values` as loaded (`undefined`: an ended session), in page scope `page`; a page load's is new. */
    constructor(values: Values | undefined, page: string, navigate: boolean) {
        if (!values) return
        this.s = structuredClone(values.s)
        if (!navigate) this.p = structuredClone(values.p[page] ?? {})
    }
    scope(key: Key) {
        return isPage(key) ? this.p : this.s
    }
    get(key: Key) {
        this.read.add(key)
        const scope = this.scope(key)
        if (!Object.hasOwn(scope, key)) scope[key] = initial(key)
        const value = scope[key]
        if (typeof value === 'object' && !this.handedOut.has(key)) this.handedOut.set(key, JSON.stringify(value))
        return value
    }
    set(key: Key, value: unknown) {
        this.scope(key)[key] = value
        this.written.add(key)
    }
    reset(all: boolean) {
        this.p = {}
        if (all) this.s = {}
        this.cleared = all || this.cleared === 'all' ? 'all' : 'page'
    }
    login() {
        this.p = {}
        this.cleared = 'page'
        this.loggedIn = true
    }
    logout() {
        this.s = {}
        this.p = {}
        this.written.clear()
        this.handedOut.clear()
        this.loggedOut = true
    }
    /** `ScopedSession.changedKeys`: assigned, or handed out and different now (reset away included). */
    changed() {
        const keys = new Set(this.written)
        for (const [key, json] of this.handedOut) if (JSON.stringify(this.scope(key)[key]) !== json) keys.add(key)
        return keys
    }
    value(key: Key) {
        const scope = this.scope(key)
        return structuredClone(Object.hasOwn(scope, key) ? scope[key] : initial(key))
    }
    /** A login's new session: the session scope, and the page scope it wrote after, as the default one. */
    next() {
        return normalize(this.s, { '': this.p })
    }
}

/**
 * The world after `call` commits in `now`, having read `then` (the same world for a request
 * that takes effect at one point): `undefined` when its status cannot be explained there.
 * - A session ended meanwhile refuses a login and any change (409); anything else is answered, with no effect.
 * - A logout deletes the session, whatever changed meanwhile; one followed by a login starts the
 *   next one empty (a message for the next page): neither carries anything over.
 * - A login carries over what it read: refused if the session was saved since (any key, as the
 *   guide says), accepted only if nothing changed.
 * - Otherwise the request's changed keys are rebased onto what was saved meanwhile. After a full
 *   reset it may be refused if anything was saved since, and accepted only if nothing changed.
 *   Else it may be refused only if a save since touched a key it changed (any key of its page
 *   scope, after a page reset), and accepted only if each such key still has the value it read.
 *   (The plugin compares JSON, absent keys included; the model compares values, defaults
 *   filled in: so a save since may justify a 409 that values alone would not.)
 */
export const outcome = (call: Call, then: World, now: World, view: View): World | undefined => {
    const refused = call.status === 409
    const changed = view.changed()
    if (now.ended) return refused === (view.loggedIn || changed.size > 0) ? now : undefined
    if (view.loggedOut)
        return refused
            ? undefined
            : { ...now, ended: true, next: view.loggedIn ? view.next() : undefined, saves: now.saves + 1 }
    const moved = now.saves !== then.saves
    if (view.loggedIn || view.cleared === 'all') {
        if (refused) return moved ? now : undefined
        if (!equal(then.values, now.values)) return undefined
        if (view.loggedIn) return { ...now, ended: true, next: view.next(), saves: now.saves + 1 }
    }
    const page = call.page
    const id = (key: Key) => (isPage(key) ? `${key}@${page}` : key)
    const since = (key: Key) => now.touched[id(key)] !== then.touched[id(key)] || now.touched['*'] !== then.touched['*']
    const valueIn = (world: World, key: Key) => (isPage(key) ? world.values.p[page] : world.values.s)?.[key]
    const differs = (key: Key) => !equal(valueIn(then, key), valueIn(now, key))
    const whole = view.cleared === 'page' ? PAGE_KEYS : []
    if (refused) return moved && (whole.some(since) || [...changed].some(since)) ? now : undefined
    if (moved && (whole.some(differs) || [...changed].some(differs))) return undefined
    if (changed.size === 0 && !view.cleared && !call.op.navigate) return now
    const touched = { ...now.touched }
    const touch = (key: string) => {
        touched[key] = (touched[key] ?? 0) + 1
    }
    let { s, p } = now.values
    if (view.cleared === 'all') {
        s = {}
        p = {}
        touch('*')
    }
    p = { ...p }
    if (view.cleared === 'page') delete p[page]
    // A page load drops the session's default page scope; a history restore, the replaced page's too.
    if (call.op.navigate)
        for (const dropped of new Set(['', call.replaced])) {
            delete p[dropped]
            for (const key of PAGE_KEYS) touch(`${key}@${dropped}`)
        }
    for (const key of changed)
        if (isPage(key)) p[page] = { ...p[page], [key]: view.value(key) }
        else s = { ...s, [key]: view.value(key) }
    for (const key of new Set([...changed, ...view.read, ...whole])) touch(id(key))
    return { ...now, values: normalize(s, p), saves: now.saves + 1, touched }
}
