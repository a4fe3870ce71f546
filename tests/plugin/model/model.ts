/**
 * The reference model: what README.md and GUIDE.md promise each request answers (status, body,
 * cookie, caching), and the store, cookies and page ids that promise depends on.
 */
import { ABSOLUTE, DEFAULT_PAGE, GRACE, IDLE, NOTES, REFRESH, RESEND_AHEAD, SECRETS, type StoreKind } from './app'
import { type Request_, ROUTES } from './ops'
import type { BodyExpect, CookieExpect, Effects, Plan } from './plan'
import { copyRec, DEFAULTS, fitRecord, PRESERVED, type Rec } from './record'
import { onSqliteKinds } from './setups'
import { count } from './stats'

/** The page key of a request from a page whose id does not verify: no scope holds it. */
const NO_SCOPE = ''

/** What the logout-notice route's new session holds. */
const NOTICE_REC = (): Rec => ({ s: new Map([['theme', 'bye']]), p: new Map() })

// ---- The model ----

export interface CookieMeta {
    id: string
    created: number
    issued: number
    latestIssued: number | undefined
    persistent: boolean
    secret: string
}
export interface PageMeta {
    session: string
    key: string
    secret: string
}

export class Model {
    secrets: string[] = [SECRETS[0] as string]
    nextSecret = 1
    /** The store: each session's record, and when the store lets it go (milliseconds, on its clock). */
    readonly records = new Map<string, { rec: Rec; expires: number }>()
    /** By app instance (store object): ids a login or logout ended through it, and when (seconds). */
    private readonly endedBy = [new Map<string, number>(), new Map<string, number>()]
    /**
     * Ids an instance ended whose delete never ran (a login's, failing after its new session was
     * saved): no mark tells the other instances, which go on with them (GUIDE "Security model").
     */
    private readonly unmarked = new Set<string>()
    /** The app instance the request being planned is sent to (`pairKinds`: 0 or 1). */
    instance = 0
    /**
     * The store's ended marks (Redis, SQLite): ids whose delete ran there, when, and till when
     * (milliseconds), which `load` answers as `endedAgo` till then: as long as the old cookies live,
     * as far as the plugin can tell (docs/stores.md "Ended marks and a clock set back";
     * stores/redis.ts, stores/sqlite.ts). An instance that did not end the id (another one, or one started anew)
     * learns the end from it, and when, as if it had ended it (docs/stores.md "Sessions ended in
     * another process"): `ended` is per instance. SQLite counts the time on the injected clock;
     * Redis on its own, which the test does not move: before each request the harness sets each
     * mark's time so that Redis finds it as old as the injected clock says (`markAges`).
     */
    private readonly marks = new Map<string, { at: number; expires: number }>()
    /**
     * The latest issue time (seconds) of a cookie sent through the store object, which it forgets
     * when started anew: a mark lasts till then plus the idle timeout, with the clock set back since
     * (engine.ts `issuedAhead`).
     */
    private latestIssue = 0
    private readonly keepsMarks: boolean
    readonly cookies = new Map<string, CookieMeta>()
    readonly pages = new Map<string, PageMeta>()
    private readonly redis: boolean

    constructor(
        public t: number,
        readonly kind: StoreKind
    ) {
        this.redis = kind === 'redis' || kind === 'redisPair'
        this.keepsMarks = this.redis || onSqliteKinds(kind)
    }

    /** Those of the serving instance's store object. */
    get ended() {
        return this.endedBy[this.instance] as Map<string, number>
    }
    /** The instances were started anew: their store objects know of no ended ids. */
    forgetEnded() {
        for (const ended of this.endedBy) ended.clear()
        this.latestIssue = 0
    }
    /**
     * A delete of `id` ran in the store: its record is gone and, in Redis and SQLite, its mark left
     * for `ttl` ms (at least a minute). SQLite counts it on the injected clock; Redis on its own,
     * which the test does not move, so no mark lapses there.
     */
    deleted(id: string, ttl = 0) {
        this.records.delete(id)
        this.unmarked.delete(id)
        if (!this.keepsMarks) return
        const mark = this.marks.get(id)
        const expires = this.redis ? Number.POSITIVE_INFINITY : this.t + Math.max(ttl, GRACE * 1000)
        // Ended again (a second logout), it keeps its first end, unless that mark lapsed; the longer life stays.
        if (mark && mark.expires > this.t) mark.expires = Math.max(mark.expires, expires)
        else this.marks.set(id, { at: this.t, expires })
    }
    /** The serving instance ended `id`: known from its first end on; `deleted`: its delete ran, leaving a mark. */
    endedHere(id: string, deleted = true) {
        if (!this.ended.has(id)) this.ended.set(id, this.at)
        if (!deleted) this.unmarked.add(id)
    }
    /**
     * How old Redis is to find each mark, in milliseconds, by the injected clock: in the middle of
     * its second, which is all the plugin reads of it, so that the few milliseconds Redis's own
     * clock moves by before the request reads it change nothing. Never less than 0, as Redis answers.
     */
    markAges(): [string, number][] {
        if (!this.redis) return []
        return [...this.marks].map(([id, { at }]) => [id, Math.floor(Math.max(0, this.t - at) / 1000) * 1000 + 500])
    }

    /**
     * The clock a store's records expire on: the injected one, but for Redis, which expires keys
     * on its own (the wall clock, which the test does not move). Every ttl is a second or more
     * (store.ts): only one given near a session's absolute end can lapse there within a sequence
     * (`MODEL_STATS` counts those under 5 s: none with the default seeds).
     */
    private get storeClock() {
        return this.redis ? Date.now() : this.t
    }

    /**
     * `Store.load`: a record past its time is gone; else its life is extended to `ttl` (store.ts).
     * The SQLite store keeps a record for `ttl` to `ttl × 1.1`, rewriting its expiry only when
     * it falls out of that (stores/sqlite.ts).
     */
    private load(id: string, ttl: number) {
        const stored = this.records.get(id)
        if (!stored) return undefined
        if (stored.expires <= this.storeClock) {
            count('event: store expired')
            this.records.delete(id)
            return undefined
        }
        stored.expires = this.expiry(stored.expires, ttl)
        return stored.rec
    }

    private expiry(expires: number | undefined, ttl: number) {
        if (this.redis && ttl < 5000) count('event: Redis record given under 5 s of wall clock')
        if (!onSqliteKinds(this.kind)) return this.storeClock + ttl
        if (expires === undefined || expires < this.t + ttl || expires > this.t + ttl * 1.2)
            return Math.ceil(this.t + ttl * 1.1)
        return expires
    }

    /** `Store.save`. */
    save(id: string, rec: Rec, ttl: number) {
        this.records.set(id, { rec, expires: this.expiry(this.records.get(id)?.expires, ttl) })
    }

    get at() {
        return Math.floor(this.t / 1000)
    }

    /**
     * The session a cookie value names, if the server still honours it. `loads`: the serving
     * instance loads it when it does, and so learns from the store's mark that it ended, and when.
     */
    private valid(value: string, loads: boolean) {
        const meta = this.cookies.get(value)
        if (!meta || !this.secrets.includes(meta.secret)) return undefined
        let ended = this.ended.get(meta.id)
        if (ended !== undefined && this.at - ended > GRACE) return this.startsOver()
        if (!(this.at - meta.created < ABSOLUTE && this.at - meta.issued < IDLE)) return undefined
        const mark = this.liveMark(meta.id)
        if (ended === undefined && loads && mark !== undefined) {
            ended = this.at - Math.floor(Math.max(0, this.t - mark.at) / 1000)
            this.ended.set(meta.id, ended)
            count('event: ended session learnt from its mark')
            if (this.at - ended > GRACE) {
                count('event: ended session past its minute, learnt from its mark')
                return this.startsOver()
            }
        }
        return meta
    }

    /** `id`'s mark in the store, unless it lapsed (SQLite): a cookie ahead of it is then taken back as a returning session. */
    private liveMark(id: string) {
        const mark = this.marks.get(id)
        if (mark && mark.expires <= this.t) count('event: ended mark lapsed while a cookie of it was taken')
        return mark && mark.expires > this.t ? mark : undefined
    }

    /** A cookie of a session ended past its grace minute: passed over, for a new session. */
    private startsOver() {
        count('event: ended session past its minute starts a new session')
        return undefined
    }

    /** `loaded`: the request's first load ran (else it failed before acting: the record's life is not extended). */
    plan(op: Request_, sent: string[], named: string | undefined, loaded = true): Plan {
        const at = this.at
        // "Of several cookies of that name, the first valid one among the first four counts."
        let current: CookieMeta | undefined
        for (const value of sent.slice(0, 4)) {
            // Only the first load can fail before it runs (`loaded`): a later one follows a load that ran.
            current = this.valid(value, loaded)
            if (current) break
        }
        const returning = current !== undefined
        const due = !current || at - current.issued >= REFRESH || current.issued - at > RESEND_AHEAD
        const id = current?.id
        const created = current ? Math.min(current.created, at) : 'now'
        const persistent = current?.persistent ?? true
        // A copy sent with the clock set back names the latest issue of those before it, which stay valid longer.
        const earlier = current ? Math.max(current.issued, current.latestIssued ?? current.issued) : at
        // The plugin plans a cookie issued now: sent again, a new visitor's, or a login's.
        if (due || op.route === 'login' || op.route === 'logoutNotice')
            this.latestIssue = Math.max(this.latestIssue, at)
        /**
         * How long a login's or logout's mark lasts (ms): the session's own life from now; the
         * cookie it brought, or one before it, issued ahead of the clock (set back since), until
         * that one's idle timeout; one issued later through the store object, as long, counted from
         * no more than a cookie's life ahead (docs/stores.md).
         */
        const markTtl = (() => {
            if (!current) return undefined
            const own = Math.min(IDLE, (due ? Math.min(current.created, at) : current.created) + ABSOLUTE - at)
            const brought = Math.min(current.issued + IDLE, current.created + ABSOLUTE)
            const before = current.latestIssued === undefined ? 0 : current.latestIssued + Math.min(IDLE, ABSOLUTE)
            const life = Math.min(IDLE, ABSOLUTE)
            const after = this.latestIssue > at ? Math.min(this.latestIssue, at + life) + life : 0
            return Math.max(Math.max(1, own * 1000), (Math.max(brought, before, after) - at) * 1000)
        })()
        const secure = op.https === true
        const lifetime = (from: number | 'now') => Math.min(IDLE, (from === 'now' ? at : from) + ABSOLUTE - at)
        const refresh: CookieExpect = due
            ? {
                  kind: 'set',
                  id,
                  created,
                  issued: at,
                  latestIssued: earlier > at ? earlier : undefined,
                  persistent,
                  maxAge: persistent ? lifetime(created) : undefined,
                  secure
              }
            : { kind: 'none' }

        // Which page scope (GUIDE "Preserve and page scopes"). A full page load: a navigation, a
        // history restore, or an old browser's GET asking for HTML with no Fetch Metadata.
        const restore = op.route === 'restore'
        const pageLoad = op.route === 'page' || restore || (op.via === 'query' && ROUTES[op.route].method === 'GET')
        // What names a page: for a returning session the header (not in a history restore, which
        // sends the old page's), else an HTML request's `page_id`; for a new visitor the header.
        const given = named === '' ? undefined : named
        const names = returning ? (restore ? undefined : given) : op.via === 'header' || restore ? given : undefined
        const requestedMeta = (() => {
            if (!returning || names === undefined) return undefined
            const meta = this.pages.get(names)
            return meta && meta.session === id && this.secrets.includes(meta.secret) ? meta : undefined
        })()
        const fresh = !requestedMeta && pageLoad
        // A history restore sends the id of the page it replaces: that page's scope goes.
        const replacedKey = (() => {
            if (!fresh || !returning || !restore || given === undefined) return undefined
            const meta = this.pages.get(given)
            return meta && meta.session === id && this.secrets.includes(meta.secret) ? meta.key : undefined
        })()
        // A page id that does not verify: its page's values are refused, unless this loads a page.
        const stale = names !== undefined && !requestedMeta && !fresh
        const cookieMissing = stale && !returning && sent.length === 0
        // Such a page is in no scope, the default one included (GUIDE "Preserve and page scopes"), so
        // its change of a preserved key writes none, and moves none to the end of `maxPages`'s order.
        const pageKey = requestedMeta ? requestedMeta.key : stale ? NO_SCOPE : DEFAULT_PAGE
        const pageId = requestedMeta ? (names as string) : ''
        const noStore = fresh || requestedMeta !== undefined
        // Ended through this instance, or, in Redis and SQLite, anywhere (the mark, learnt by the load).
        const endedHere =
            returning && (this.ended.has(id as string) || (loaded && this.liveMark(id as string) !== undefined))
        if (endedHere) count('event: ended session, in its grace minute')
        // Every instance knows of an end its load could learn: none goes on with the ended id.
        if (
            loaded &&
            returning &&
            !endedHere &&
            !this.unmarked.has(id as string) &&
            this.endedBy.some((ended) => ended.has(id as string))
        )
            throw new Error('the model let an ended session go on where it was not ended')
        if (current && current.secret !== this.secrets[0]) count('event: cookie of an older secret')
        const namedPage = names === undefined ? undefined : this.pages.get(names)
        if (namedPage?.session === id && !this.secrets.includes(namedPage?.secret ?? ''))
            count('event: page of a dropped secret')

        // The request loads its record (a returning session's), which extends the record's life.
        const ttl = Math.max(1, lifetime(created) * 1000)
        const rec = copyRec(id === undefined || !loaded ? undefined : this.load(id, ttl))
        const page = fresh ? new Map<string, unknown>() : (rec.p.get(pageKey) ?? new Map<string, unknown>())
        const read = (key: string) => {
            const scope = PRESERVED.has(key) ? rec.s : page
            return scope.has(key) ? scope.get(key) : DEFAULTS[key]
        }
        const view = (): BodyExpect => ({
            kind: 'view',
            fresh,
            page: pageId,
            count: read('count') as number,
            tags: read('tags') as string[],
            note: String(read('note')).length,
            theme: read('theme') as string
        })
        const plan = (status: number, body: BodyExpect, cookie: CookieExpect, effects: Effects = {}): Plan => ({
            status,
            body,
            cookie,
            // A page scope's responses, and those carrying the cookie: no cache may keep the session.
            noStore: status < 409 ? noStore || cookie.kind !== 'none' : undefined,
            session: id,
            markTtl,
            apply: (cookieId) => {
                if (effects.ends !== undefined) {
                    this.deleted(effects.ends, markTtl)
                    this.endedHere(effects.ends)
                }
                effects.write?.(cookieId)
            },
            ...effects
        })
        const failed = (status: number, body: BodyExpect) => plan(status, body, { kind: 'none' })
        const staleError = () => failed(409, { kind: 'stale', cookieMissing })
        // Routes that read or write page-scoped keys, or reset the page.
        const writesPage = ['inc', 'tag', 'note', 'reset', 'softFail', 'state'].includes(op.route)
        if (stale && writesPage) return staleError()
        if (op.route === 'fail') return failed(418, { kind: 'text', text: 'nope' })

        const newSession = (kept: boolean | undefined): CookieExpect => {
            const persists = kept ?? persistent
            return {
                kind: 'set',
                id: undefined,
                created: 'now',
                issued: at,
                latestIssued: undefined,
                persistent: persists,
                maxAge: persists ? lifetime('now') : undefined,
                secure
            }
        }

        // A session a login or logout ended within the minute: defaults, nothing saved, no cookie sent.
        if (endedHere) {
            const endedId = id as string
            switch (op.route) {
                case 'page':
                case 'restore':
                case 'state':
                    return plan(200, view(), { kind: 'none' })
                case 'themeGet':
                    return plan(200, { kind: 'text', text: String(read('theme')) }, { kind: 'none' })
                case 'note':
                    // Its size is checked as the state is written out, before the session is found ended.
                    if (op.arg === 'large') return failed(413, { kind: 'tooLarge' })
                    return failed(409, { kind: 'ended' })
                case 'inc':
                case 'tag':
                case 'theme':
                case 'softFail':
                case 'login':
                    return failed(409, { kind: 'ended' })
                case 'logoutNotice':
                    // Its new session carries nothing over: it starts, as after any logout.
                    count('event: logout notice from an ended session')
                    return plan(200, { kind: 'text', text: 'bye' }, newSession(undefined), {
                        ends: endedId,
                        logout: true,
                        write: (cookieId) => this.save(cookieId as string, NOTICE_REC(), IDLE * 1000)
                    })
                case 'reset':
                    return plan(200, { kind: 'text', text: 'reset' }, { kind: 'none' })
                case 'fullReset':
                    return plan(200, { kind: 'text', text: 'full reset' }, { kind: 'none' })
                case 'logout':
                    // Its delete runs again (the record is gone); the id keeps its first end.
                    return plan(
                        200,
                        { kind: 'text', text: 'destroyed' },
                        { kind: 'clear', secure },
                        { ends: endedId, logout: true }
                    )
            }
        }

        /** Saves `next` (written from the request's page) under the request's session, or answers 413. */
        const save = (status: number, body: BodyExpect, next: Rec) => {
            const fitted = fitRecord(next, pageKey)
            if (fitted === 'tooLarge') return failed(413, { kind: 'tooLarge' })
            return plan(status, body, refresh, { write: (cookieId) => this.store(id ?? cookieId, fitted, ttl) })
        }
        const inPage = (key: string, value: unknown) => {
            const scope = rec.p.get(pageKey) ?? new Map<string, unknown>()
            rec.p.set(pageKey, scope)
            scope.set(key, value)
        }
        /** The id a login or logout ends: only one a cookie brought. */
        const ends = returning ? id : undefined

        switch (op.route) {
            case 'page':
            case 'restore':
            case 'state':
            case 'themeGet': {
                const body = op.route === 'themeGet' ? { kind: 'text' as const, text: String(read('theme')) } : view()
                // A page load drops the default page scope, even one whose handler reads no state;
                // a history restore, the scope of the page it replaces too.
                const dropped = fresh ? [DEFAULT_PAGE, replacedKey].filter((key) => key !== undefined) : []
                if (dropped.some((key) => rec.p.has(key))) {
                    for (const key of dropped) rec.p.delete(key)
                    return plan(200, body, refresh, { write: (cookieId) => this.store(id ?? cookieId, rec, ttl) })
                }
                return plan(200, body, refresh)
            }
            case 'inc': {
                const next = (read('count') as number) + 1
                inPage('count', next)
                return save(200, { kind: 'text', text: String(next) }, rec)
            }
            case 'softFail':
                inPage('count', (read('count') as number) + 10)
                return save(400, { kind: 'text', text: 'kept' }, rec)
            case 'tag': {
                const tags = [...(read('tags') as string[]), op.arg as string]
                inPage('tags', tags)
                return save(200, { kind: 'text', text: tags.join(',') }, rec)
            }
            case 'note': {
                const size = NOTES[op.arg as keyof typeof NOTES]
                inPage('note', 'x'.repeat(size))
                return save(200, { kind: 'text', text: String(size) }, rec)
            }
            case 'theme':
                rec.s.set('theme', op.arg)
                return save(200, { kind: 'text', text: op.arg as string }, rec)
            case 'reset':
                rec.p.delete(pageKey)
                return save(200, { kind: 'text', text: 'reset' }, rec)
            case 'fullReset':
                return save(200, { kind: 'text', text: 'full reset' }, { s: new Map(), p: new Map() })
            case 'login': {
                const kept = op.arg === 'remember' ? true : op.arg === 'forget' ? false : undefined
                const carried: Rec = { s: rec.s, p: new Map() }
                return plan(200, { kind: 'text', text: 'regenerated' }, newSession(kept), {
                    ends,
                    write: (cookieId) => this.save(cookieId as string, carried, IDLE * 1000)
                })
            }
            case 'logout':
                return plan(200, { kind: 'text', text: 'destroyed' }, { kind: 'clear', secure }, { ends, logout: true })
            case 'logoutNotice':
                return plan(200, { kind: 'text', text: 'bye' }, newSession(undefined), {
                    ends,
                    logout: true,
                    write: (cookieId) => this.save(cookieId as string, NOTICE_REC(), IDLE * 1000)
                })
        }
        throw new Error(`unplanned route ${op.route}`)
    }

    /** Saves `rec` under session `id`, a new visitor's learnt from its cookie. */
    private store(id: string | undefined, rec: Rec, ttl: number) {
        if (id === undefined) throw new Error('a save with no session id known')
        this.save(id, rec, ttl)
    }
}
