/**
 * The checker's model of one session, as GUIDE.md's security model and README.md's
 * `endScopedSession(id)` describe it (and, where they are vague, as `ScopedSession` does it, said
 * so below): its values, the view a request reads, and what a request's commit does to them, or
 * whether its answer is possible at all.
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
    /** The session's id: the cookie's, or a new visitor's (`''` when not recorded). */
    id: string
    /** A login or logout of this round, or the app, ended it: it reads as empty, and refuses changes. */
    ended: boolean
    /**
     * The app ended it (`endScopedSession`): a request that loads it now starts a new session at
     * once (`'only'`). Ended by a login or logout first, whose grace minute the app's end keeps
     * (engine.ts's `end`), such a request may be refused as in that minute too (`'also'`).
     */
    byApp: 'only' | 'also' | undefined
    values: Values
    /** After a login: the new session's values. */
    next: Values | undefined
    /** After a login: the new session's id. */
    nextId: string | undefined
    /** The app ended `nextId` after the login saved it. */
    nextEnded: boolean
    /** The ids the app ended so far in this round: a login whose new id is one of them is refused. */
    endedIds: string[]
    /** The requests (bits) that came after the app ended the session, each a new session of its own. */
    newSessions: number
    /** Accepted saves in this round so far: one since a request read allows a 409. */
    saves: number
    /**
     * Per key (`count@<page>` for a page scope's), accepted saves that changed, read or cleared
     * it, and so may have changed its JSON; `*` counts full resets.
     */
    touched: Record<string, number>
}

/** A round's first state: of session `id`, which the app ended already if `endedByApp`. */
export const fresh = (values: Values = { s: {}, p: {} }, id = '', endedByApp = false): World => ({
    id,
    ended: endedByApp,
    byApp: endedByApp ? 'only' : undefined,
    values,
    next: undefined,
    nextId: undefined,
    nextEnded: false,
    endedIds: [],
    newSessions: 0,
    saves: 0,
    touched: {}
})

/** The world after the app ends session `id` (`endScopedSession`). */
export const endIn = (world: World, id: string): World => {
    const endedIds = [...new Set([...world.endedIds, id])].sort()
    if (id === world.id)
        return { ...world, ended: true, byApp: world.byApp ?? (world.ended ? 'also' : 'only'), endedIds }
    if (id === world.nextId) return { ...world, nextEnded: true, endedIds }
    return { ...world, endedIds }
}

/** Thrown by a view of a page of an ended session (`StalePageError`). */
export class StalePage extends Error {}

/** The ids `call` recorded (`scopedSessionId()`) before its login, and the one after (its new id). */
export const recordedIds = (call: Call) => {
    const before: string[] = []
    let after: string | undefined
    let loggedIn = false
    let n = 0
    for (const step of call.op.steps)
        if (step.do === 'login') loggedIn = true
        else if (step.do === 'record') {
            const id = call.recorded[n++]
            if (id === undefined) break
            if (loggedIn) after = id
            else before.push(id)
        }
    return { before, after }
}

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

    /** The page is of another session: its keys throw. */
    stalePage: boolean

    /** `values` as loaded (`undefined`: an ended session), in page scope `page`; a page load's is new. */
    constructor(values: Values | undefined, page: string, navigate: boolean, stalePage = false) {
        this.stalePage = stalePage
        if (!values) return
        this.s = structuredClone(values.s)
        if (!navigate) this.p = structuredClone(values.p[page] ?? {})
    }
    scope(key: Key) {
        if (isPage(key) && this.stalePage) throw new StalePage()
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
        // A full reset reads nothing of the page: the plugin allows it.
        if (this.stalePage && !all) throw new StalePage()
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
 * The cookie `call` must have sent, committing in `now`: a new one with a login, or for a new
 * session (a first visit, or a request after the app ended its session) that was not ended
 * before its commit; a clearing one with a logout (even of an ended session: it hands back
 * nothing); else none. A refused request sends none. A new session that the app ended before
 * its commit and that saved nothing may send its cookie: a process that did not end it saves
 * nothing, so it does not look the id up (the next request with it starts a new session).
 */
const cookieFits = (call: Call, now: World) => {
    const steps = call.op.steps.map((step) => step.do)
    const isNew = !call.sent || now.id !== call.sent
    const expected =
        call.status !== 200
            ? 'none'
            : steps.includes('logout') && !steps.includes('login')
              ? 'cleared'
              : steps.includes('login') || (isNew && !now.ended)
                ? 'new'
                : 'none'
    const got = call.cookie === undefined ? 'none' : call.cookie === '' ? 'cleared' : 'new'
    const endedUnsaved = isNew && now.ended && call.status === 200 && !steps.includes('logout')
    return got === expected || (endedUnsaved && got === 'new')
}

/** `scopedSessionId()` told the session's id, and after a login that succeeded, its new one. */
const idsFit = (call: Call, now: World) => {
    const { before, after } = recordedIds(call)
    const loggedIn = call.status === 200 && call.op.steps.some((step) => step.do === 'login')
    return before.every((id) => id === now.id) && (!loggedIn || after === undefined || after === call.cookie)
}

/**
 * The world after `call` commits in `now`, having read `then` (the same world for a request
 * that takes effect at one point): `undefined` when its status or cookie cannot be explained there.
 * - A session ended meanwhile refuses a login and any change (409); anything else is answered,
 *   with no effect. A logout of it goes on (the guide: a login after it carries nothing over, and
 *   is not refused), with the next session a login after it starts.
 * - A logout deletes the session, whatever changed meanwhile; one followed by a login starts the
 *   next one empty (a message for the next page): neither carries anything over.
 * - A login whose new id the app ended before its commit is refused (README, `endScopedSession`).
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
    const world = commit(call, then, now, view)
    return world && cookieFits(call, now) && idsFit(call, now) ? world : undefined
}

/** Whether `call`'s changes, accepted onto what it read, would leave the values as they were. */
const amountsToNothing = (call: Call, then: World, view: View) => {
    const before = { ...then, ended: false, values: then.ended ? fresh().values : then.values }
    const after = commit({ ...call, status: 200 }, before, before, view)
    return after !== undefined && equal(after.values, before.values)
}

const commit = (call: Call, then: World, now: World, view: View): World | undefined => {
    const changed = view.changed()
    // What the plugin counts as a change: a reset, even of nothing, and a page load (it drops the
    // session's default page scope) too.
    const changes = view.loggedIn || changed.size > 0 || view.cleared !== undefined || call.op.navigate
    const refused = call.status === 409
    const newId = recordedIds(call).after
    const newIdEnded = view.loggedIn && newId !== undefined && now.endedIds.includes(newId)
    const login = (world: World): World => ({
        ...world,
        ended: true,
        next: view.loggedIn ? view.next() : undefined,
        nextId: view.loggedIn ? call.cookie : undefined,
        saves: now.saves + 1
    })
    if (view.loggedOut) {
        if (refused) return newIdEnded ? now : undefined
        return newIdEnded ? undefined : login(now)
    }
    if (now.ended) {
        if (refused) return changes ? now : undefined
        // A process that did not end it (Redis: another instance) saves nothing when its changes
        // amount to nothing, and so refuses nothing.
        return !view.loggedIn && (changed.size === 0 || amountsToNothing(call, then, view)) ? now : undefined
    }
    const moved = now.saves !== then.saves
    if (view.loggedIn || view.cleared === 'all') {
        if (refused) return moved || newIdEnded ? now : undefined
        if (newIdEnded || !equal(then.values, now.values)) return undefined
        if (view.loggedIn) return login(now)
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
