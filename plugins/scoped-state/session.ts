/**
 * One request's view of one session: which session and page scope it names, the
 * state it reads and writes, and the single write at the end.
 *
 * The record (record.ts) holds only keys that were read or written; missing keys read
 * as fresh copies of their defaults. Until it changes something, a request reads the
 * session's shared parse of the record (shared-parse.ts).
 */

import type { SentCookie } from './cookie.js'
import { CollisionError, ScopedStateError, SessionEndedError, StalePageError, UnreadableStateError } from './errors.js'
import { DEFAULT_PAGE, STALE_PAGE } from './page-id.js'
import { parseRecord, type Scope, type StateRecord } from './record.js'
import { fitRecord, type ScopedStateSize } from './record-size.js'
import { findNonJson, JSON_RULE } from './schema.js'
import type { SessionId } from './session-id.js'
import { own, type ParseCache, sharedParse, shareSaved } from './shared-parse.js'

/** What a session needs from the plugin that created it. */
export interface SessionContext extends ParseCache {
    maxStateBytes: number
    maxPages: number
    /** Called when a request changes its state after commit: the change is ignored. */
    reportLateChange: () => void
    /** Called when a request changes its state after destroying its session: the change is ignored. */
    reportChangeAfterDestroy: () => void
    /** Called when a request changes its page's keys after a login: no page of the new session could read them. */
    reportPageChangeAfterLogin: () => void
}

/** The key under which `scopedStore` (context.ts) answers with its session. */
export const SESSION = Symbol('scopedSession')

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * The JSON of a value handed out, to tell whether it was mutated in place; `undefined` when it
 * has none (a cycle, a BigInt made in place): then it counts as changed, and `serialize`
 * names the key and what is wrong with it.
 */
const fingerprint = (value: unknown) => {
    try {
        return JSON.stringify(value)
    } catch {
        return undefined
    }
}

export class ScopedSession {
    // Declared, and assigned in the constructor: JSC runs class field definitions as an
    // extra pass per instance, and a session is created on every request.
    /** This request's own copy of the record, once it needs one. */
    declare private record: StateRecord | undefined
    /** The parse of `raw` this request reads until it needs its own copy: parsed at most once per request. */
    declare private parsed: StateRecord | undefined
    declare private parsedRaw: string | undefined
    declare private sessionScope: Scope
    declare private pageScope: Scope
    /** Keys this request assigned. */
    declare private written: Set<string> | undefined
    /** JSON of each object value handed out, to find the ones mutated in place. */
    declare private handedOut: Map<string, string> | undefined
    /** What `reset` cleared: the page scope, or both scopes. */
    declare private cleared: 'page' | 'all' | undefined
    /** This page load dropped the session's default page scope, or the one of the page it replaces. */
    declare private clearedOnLoad: boolean
    declare private destroyed: boolean
    /** The plugin committed this request: a change now could never be saved. */
    declare private answered: boolean
    /** The session id whose lock this request holds until commit or abort (when the plugin locks). */
    declare locked: string | undefined
    /** A stored record to delete at commit (regenerated away from, or destroyed), and how long its cookie may still be sent (ms). */
    declare discard: { id: string; ttl: number } | undefined
    /** `destroyScopedSession()` was called (a logout): the commit fails unless `discard` is deleted. */
    declare loggedOut: boolean
    /** The store said another process ended the session this request loaded (`SESSION_ENDED`, `endedAgo`). */
    declare endedElsewhere: boolean
    /** The id came with the request, so other requests may save this session too. */
    declare returning: boolean
    /** The app was told the id (`scopedSessionId()`): another request may end it before this one commits. */
    declare idHandedOut: boolean
    /** The cookie the request brought, with its times as signed: a refresh re-dates `id`, not that cookie. */
    declare brought: SessionId | undefined
    /** The request named a page of another session and brought no cookie of the session's name: see `StalePageError`. */
    declare cookieMissing: boolean
    /** The cookie this request's response sends if the request succeeds. */
    declare cookie: SentCookie | undefined
    /** The stored record as loaded; `undefined` for a session with no state yet. */
    declare raw: string | undefined
    /**
     * Runs once, when the request first reads or changes its state before its commit: with a
     * synchronous store the record is loaded again there if a request of the process saved or
     * deleted a session since (this one's handler awaited first), so that the change is made
     * to what is stored, not to what was when it began.
     */
    declare beforeFirstTouch: (() => void) | undefined
    /** The session this request moved away from (a login), and its record as loaded. */
    declare movedFrom: { id: string; raw: string | undefined } | undefined
    /** A key of the page's scope was written after the login (`moveTo`). */
    declare private pageWrittenAfterMove: boolean
    /** Read on `scopedStore`, this session; on the session itself, none. */
    declare private readonly [SESSION]: ScopedSession | undefined

    constructor(
        private readonly context: SessionContext,
        public id: SessionId,
        /** The page scope's key in the record. */
        public pageKey: string,
        /** The signed page id views hand back (`''` for the default page scope). */
        public pageId: string,
        /** This request starts a fresh page: the default page scope is cleared too. */
        private readonly pageLoad: boolean,
        /** The scope of the page an htmx history restore replaces, cleared with the default one. */
        private readonly replacedPageKey: string | undefined
    ) {
        this.raw = undefined
        this.beforeFirstTouch = undefined
        this.record = undefined
        this.parsed = undefined
        this.parsedRaw = undefined
        this.written = undefined
        this.handedOut = undefined
        this.cleared = undefined
        this.clearedOnLoad = false
        this.destroyed = false
        this.answered = false
        this.locked = undefined
        this.discard = undefined
        this.loggedOut = false
        this.endedElsewhere = false
        this.returning = false
        this.idHandedOut = false
        this.brought = undefined
        this.cookieMissing = false
        this.cookie = undefined
        this.movedFrom = undefined
        this.pageWrittenAfterMove = false
    }

    /**
     * The session a login moved from, whose preserved keys the new record carries: what a save
     * names as `from`. None after a logout, whose new session (a message for the next page) carries nothing.
     */
    get loginSource() {
        return this.loggedOut ? undefined : this.movedFrom
    }

    /** The session's shared parse of `raw` (or this request's private one, for a long record), once per request. */
    private shared(): StateRecord {
        if (this.parsed && this.parsedRaw === this.raw) return this.parsed
        this.parsedRaw = this.raw
        this.parsed = sharedParse(this.id.id, this.raw, this.context)
        return this.parsed
    }

    /**
     * This request's own copy of the record: its own containers over the parse's values.
     * Objects among those, when the parse is shared (frozen), are copied when first read (`own`).
     */
    private state(): StateRecord {
        if (this.record) return this.record
        const shared = this.shared()
        const record = { s: { ...shared.s }, p: { ...shared.p } }
        this.record = record
        this.sessionScope = record.s
        this.pageScope = { ...shared.p[this.pageKey] }
        if (this.pageLoad)
            for (const key of [DEFAULT_PAGE, this.replacedPageKey])
                if (key !== undefined && record.p[key]) {
                    delete record.p[key]
                    this.clearedOnLoad = true
                }
        return record
    }

    private scopeOf(key: string) {
        this.state()
        return this.context.fields.get(key)?.preserve ? this.sessionScope : this.pageScope
    }

    private touch() {
        const first = this.beforeFirstTouch
        if (!first) return
        this.beforeFirstTouch = undefined
        first()
    }

    read(key: string): unknown {
        this.touch()
        const field = this.context.fields.get(key)
        if (!field) return undefined
        if (this.pageKey === STALE_PAGE && !field.preserve) throw this.stalePage()
        if (!this.record && !this.pageLoad) {
            // Nothing changed yet: a primitive is read straight from the shared parse.
            const shared = this.shared()
            const scope = field.preserve ? shared.s : shared.p[this.pageKey]
            const value = scope && Object.hasOwn(scope, key) ? scope[key] : field.initial()
            if (value === null || typeof value !== 'object') return value
        }
        const scope = this.scopeOf(key)
        if (!Object.hasOwn(scope, key)) scope[key] = field.initial()
        let value = scope[key]
        if (value !== null && typeof value === 'object' && !this.handedOut?.has(key)) {
            // Handed out, the object may be mutated in place: keep its JSON to tell.
            scope[key] = value = own(value)
            this.handedOut ??= new Map()
            this.handedOut.set(key, fingerprint(value) ?? '')
        }
        return value
    }

    write(key: string, value: unknown) {
        const field = this.context.fields.get(key)
        if (!field) throw new TypeError(`scopedState: '${key}' is not a key of the state setup.`)
        if (this.pageKey === STALE_PAGE && !field.preserve) throw this.stalePage()
        if (this.tooLate()) return
        this.touch()
        this.scopeOf(key)[key] = value
        if (this.movedFrom && !field.preserve) this.pageWrittenAfterMove = true
        this.written ??= new Set()
        this.written.add(key)
    }

    /** Why the page's scope cannot be reached: its page id no longer holds, and whether the cookie came at all. */
    private stalePage() {
        return new StalePageError(this.cookieMissing)
    }

    has(key: string) {
        return this.context.fields.has(key)
    }

    keys() {
        return [...this.context.fields.keys()]
    }

    /** Back to defaults: the page scope, or with `ignorePreserve` everything, the user's other tabs too. */
    reset(ignorePreserve = false) {
        if (this.tooLate()) return
        this.touch()
        if (ignorePreserve) {
            // Nothing of the stored record is read, so even one this setup cannot read (a failing
            // migrate, a newer version) is started over. The record's own scope is replaced too:
            // `moveTo` (a login after the reset) carries it over.
            this.record = { s: {}, p: {} }
            this.sessionScope = this.record.s
            this.pageScope = {}
            this.cleared = 'all'
            return
        }
        if (this.pageKey === STALE_PAGE) throw this.stalePage()
        this.state()
        this.pageScope = {}
        this.cleared = this.cleared === 'all' ? 'all' : 'page'
    }

    /**
     * Starts over with `id`, keeping the preserved keys; the page scopes stay behind. After
     * `destroy`, there are none: the new session starts empty, and keeps what is written next.
     */
    moveTo(id: SessionId) {
        if (this.tooLate()) return
        this.touch()
        this.destroyed = false
        const { s } = this.state()
        this.movedFrom ??= { id: this.id.id, raw: this.raw }
        this.id = id
        this.raw = undefined
        this.record = { s, p: {} }
        this.sessionScope = s
        this.pageScope = {}
        this.cleared = 'page'
    }

    /** Drops all state; nothing this request still writes is kept (and a change is reported). */
    destroy() {
        if (this.tooLate()) return
        this.record = { s: {}, p: {} }
        this.sessionScope = {}
        this.pageScope = {}
        this.written = undefined
        this.handedOut = undefined
        this.destroyed = true
    }

    /** Commit has begun: the state may still be read; a change now is ignored, and reported. */
    markAnswered() {
        this.answered = true
        this.beforeFirstTouch = undefined
    }

    /**
     * Whether a change comes after commit, which cannot save it any more (from a WebSocket
     * handler, a timer). Reported, not thrown: thrown there, it would escape to the process.
     */
    private tooLate() {
        if (this.answered) this.context.reportLateChange()
        return this.answered
    }

    /** Keys this request changed: assigned, or handed out and mutated in place. */
    private changedKeys() {
        const keys = new Set(this.written)
        if (this.handedOut)
            for (const [key, json] of this.handedOut) if (fingerprint(this.scopeOf(key)[key]) !== json) keys.add(key)
        return keys
    }

    /**
     * Whether this request changed a key of its page scope to other than its default. A page that
     * sets its keys on every load (from its address, say) mostly sets them to their defaults: stored,
     * each such load would take one of `maxPages` from a tab that holds values.
     */
    private changesPage() {
        for (const key of this.changedKeys()) {
            const field = this.context.fields.get(key)
            if (field && !field.preserve && fingerprint(this.pageScope[key]) !== fingerprint(field.initial()))
                return true
        }
        return false
    }

    /**
     * The session was ended or deleted while this request ran (a logout, a login elsewhere,
     * evicted): saving a change would bring it back, so a request that changed a key fails
     * with 409; one that changed nothing itself (a page load, a reset) has nothing to save.
     */
    treatAsEnded() {
        if (this.changedKeys().size > 0) throw new SessionEndedError()
        this.raw = undefined
        this.record = undefined
        // Nor is its cookie sent again, which would hand the ended session's id back; a logout's
        // clearing one is, since it hands back nothing: the user asked to be signed out.
        if (this.cookie?.value !== '') this.cookie = undefined
    }

    /**
     * Re-applies this request's changes on top of `fresh`, the record as another request
     * of the same session has since saved it: both requests' changes are kept, key by key.
     * When the other request changed a key this one changed too (or anything at all, under
     * this one's full reset), neither may overwrite the other: this request fails with 409
     * and writes nothing; so it does when the other request deleted the session and this
     * one changed a key. Called only when the record did change.
     */
    rebase(fresh: string | undefined) {
        if (this.raw !== undefined && fresh === undefined) return this.treatAsEnded()
        const changed = this.changedKeys()
        // A full reset meant everything the user held then: any change since is a collision.
        if (this.cleared === 'all') throw new CollisionError()
        const mine = { session: this.sessionScope, page: this.pageScope }
        const before = parseRecord(this.raw, this.context)
        this.raw = fresh
        this.record = undefined
        const after = this.state()
        const scopeIn = (record: StateRecord, preserve: boolean | undefined) =>
            (preserve ? record.s : record.p[this.pageKey]) ?? {}
        const conflict =
            (this.cleared && !same(scopeIn(before, false), scopeIn(after, false))) ||
            [...changed].some((key) => {
                const preserve = this.context.fields.get(key)?.preserve
                return !same(scopeIn(before, preserve)[key], scopeIn(after, preserve)[key])
            })
        if (conflict) throw new CollisionError()
        if (this.cleared) this.pageScope = {}
        for (const key of changed) {
            const preserve = this.context.fields.get(key)?.preserve
            const from = preserve ? mine.session : mine.page
            const to = preserve ? this.sessionScope : this.pageScope
            if (Object.hasOwn(from, key)) to[key] = from[key]
            else delete to[key]
        }
    }

    /** The record to store, or `undefined` when nothing changed. Throws when a rule is broken. */
    serialize(): string | undefined {
        if (this.destroyed) {
            if (this.written || (this.handedOut && this.changedKeys().size > 0)) this.context.reportChangeAfterDestroy()
            return undefined
        }
        // A page load drops the default page scope even when its page reads no state: a static
        // page whose htmx requests carry no page id resets on refresh, as the spec's counter.html.
        // Unless this setup cannot read the record (a failing migrate, a newer version): the page
        // still loads, and the record stays as it is.
        if (this.pageLoad && this.raw !== undefined && !this.record)
            try {
                this.state()
            } catch (error) {
                if (error instanceof UnreadableStateError) return undefined
                throw error
            }
        if (!this.record) return undefined
        const { written, handedOut } = this
        const changed = written || this.cleared || this.clearedOnLoad || (handedOut && this.changedKeys().size > 0)
        if (!changed) return undefined
        this.refuseNonJson()
        const record = this.record
        this.arrange(record)
        if (this.movedFrom && this.pageKey !== DEFAULT_PAGE && this.pageWrittenAfterMove)
            this.context.reportPageChangeAfterLogin()
        const json = JSON.stringify(record)
        if (json === this.raw) return undefined
        return fitRecord(record, json, this.pageKey, this.context.maxStateBytes, () => this.bytesAsRead())
    }

    /** Throws the 500 a save meets when a value this request touched is no JSON. */
    private refuseNonJson() {
        // Values this request never touched came from JSON: only the touched ones need checking.
        for (const keys of [this.written, this.handedOut?.keys()])
            if (keys)
                for (const key of keys) {
                    const scope = this.scopeOf(key)
                    const problem = Object.hasOwn(scope, key) && findNonJson(scope[key], `scopedStore.${key}`)
                    if (problem) throw new ScopedStateError(`Cannot store ${problem}: ${JSON_RULE}.`, 500)
                }
    }

    /** Puts this request's scopes into `record` as the save stores them, before `fitRecord`. */
    private arrange(record: StateRecord) {
        if (this.context.version !== 1) record.v = this.context.version
        record.s = this.sessionScope
        const stored = Object.hasOwn(record.p, this.pageKey)
        delete record.p[this.pageKey]
        // A new page scope is stored once a key of it changes: the defaults that reading put there
        // (a page load showing them, as it drops the default scope) would take one of `maxPages`
        // from a tab that holds values.
        // After a login the page's id, signed for the old session, no longer verifies: its scope is kept
        // only when it is the default one, which requests without a page id still reach.
        const reachable = !this.movedFrom || this.pageKey === DEFAULT_PAGE
        if (reachable && Object.keys(this.pageScope).length > 0 && (stored || this.changesPage()))
            record.p[this.pageKey] = this.pageScope
        // Page scopes in the order they were last written: the current one is last.
        const pages = Object.keys(record.p)
        for (let i = 0; i < pages.length - this.context.maxPages; i++) delete record.p[pages[i] as string]
    }

    /**
     * Runs `look` on this request's copy of the record. A request without a copy yet reads defaults
     * without storing them (`read`): one made here is let go of after, else a default read next
     * would be saved.
     */
    private withCopy<T>(look: (record: StateRecord) => T): T {
        const hadCopy = this.record !== undefined
        const result = look(this.state())
        if (!hadCopy) {
            this.record = undefined
            this.clearedOnLoad = false
        }
        return result
    }

    /**
     * What the state would take if this request were saved now (`scopedStateSize()`): the save's
     * own arrangement, on a copy, so that nothing the handler does next is decided by it.
     */
    size(): ScopedStateSize {
        const limit = this.context.maxStateBytes
        if (this.destroyed) return { bytes: 0, ownBytes: 0, limit }
        this.touch()
        this.refuseNonJson()
        const copy = this.withCopy((record) => {
            const copy: StateRecord = { ...record, p: { ...record.p } }
            this.arrange(copy)
            return copy
        })
        const bytes = Buffer.byteLength(JSON.stringify(copy))
        const own = copy.p[this.pageKey]
        copy.p = own ? { [this.pageKey]: own } : {}
        return { bytes, ownBytes: Buffer.byteLength(JSON.stringify(copy)), limit }
    }

    /**
     * What `console.log(scopedStore)` prints: Bun and Node inspect a proxy's target, not its traps,
     * and this object holds the session's id, which a log must not (`endScopedSession` takes it).
     * Node calls it on the proxy, which answers `SESSION` with this session. State this setup
     * cannot read prints why instead of throwing: a log line in an `onError` must not fail too.
     */
    [Symbol.for('nodejs.util.inspect.custom')]() {
        try {
            return (this[SESSION] ?? this).view()
        } catch (error) {
            if (error instanceof UnreadableStateError) return `[unreadable state: ${error.message}]`
            throw error
        }
    }

    /**
     * The state as the handler would read it now, from a copy (`withCopy`): it stores no default
     * and changes nothing the save does. A page scope that no longer holds
     * (`StalePageError`) shows its preserved keys alone.
     */
    private view() {
        return this.withCopy(() => {
            const view: Record<string, unknown> = {}
            for (const [key, field] of this.context.fields) {
                if (!field.preserve && this.pageKey === STALE_PAGE) continue
                const scope = field.preserve ? this.sessionScope : this.pageScope
                view[key] = Object.hasOwn(scope, key) ? scope[key] : field.initial()
            }
            return view
        })
    }

    /** The size of the record as this request read it (migrated, if it was), all its tabs included. */
    private bytesAsRead() {
        const raw = this.movedFrom ? this.movedFrom.raw : this.raw
        if (raw === undefined) return 0
        const record = parseRecord(raw, this.context)
        // A migrated record comes without `v`: counted as `serialize` writes it, under this version, so that
        // the version's few bytes do not make a change that leaves the state smaller count as growth (413).
        if (this.context.version !== 1) record.v = this.context.version
        return Buffer.byteLength(JSON.stringify(record))
    }

    /** The record `json` (from `serialize`) was saved: shared, it lets go of this request's copy. */
    saved(json: string) {
        const { record, sessionScope, pageScope } = this
        if (!record || !shareSaved(this.context, this.id.id, json, record, [sessionScope, pageScope])) return
        this.record = undefined
        this.raw = json
    }
}
