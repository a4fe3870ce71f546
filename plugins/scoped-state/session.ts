/**
 * One request's view of one session: which session and page scope it names, the
 * state it reads and writes, and the single write at the end.
 *
 * Stored record (JSON): `{ "s": { preserved keys }, "p": { "<page>": { other keys } } }`.
 * Only keys that were read or written are present; missing keys read as fresh
 * copies of their defaults.
 */

import { ScopedStateError } from './errors'
import type { Field } from './schema'
import { findNonJson, JSON_RULE } from './schema'
import type { SessionId } from './session-id'

type Scope = Record<string, unknown>
interface StateRecord {
    s: Scope
    p: Record<string, Scope>
}

/** What a session needs from the plugin that created it. */
export interface SessionContext {
    fields: Map<string, Field>
    maxStateBytes: number
    maxPages: number
}

const parse = (raw: string | undefined): StateRecord => {
    if (raw === undefined) return { s: {}, p: {} }
    try {
        const record = JSON.parse(raw) as StateRecord
        if (record && typeof record.s === 'object' && typeof record.p === 'object') return record
    } catch {}
    console.warn('scopedState: a stored session record was unreadable and has been reset.')
    return { s: {}, p: {} }
}

const validate = (scope: Scope) => {
    for (const key in scope) {
        const problem = findNonJson(scope[key], `scopedStore.${key}`)
        if (problem) throw new ScopedStateError(`Cannot store ${problem}: ${JSON_RULE}.`, 500)
    }
}

export class ScopedSession {
    #record: StateRecord | undefined
    #session: Scope = {}
    #page: Scope = {}
    /** Keys this request assigned. */
    #written: Set<string> | undefined
    /** JSON of each object value handed out, to find the ones mutated in place. */
    #handedOut: Map<string, string> | undefined
    /** What `reset` cleared: the page scope, or both scopes. */
    #reset: 'page' | 'all' | undefined
    /** This page load dropped the session's default page scope. */
    #clearedDefault = false
    #destroyed = false
    /** The session id whose lock this request holds until commit or abort (asynchronous stores). */
    locked: string | undefined
    /** A stored record to delete at commit (regenerated away from, or destroyed). */
    discard: string | undefined
    /** The id came with the request, so other requests may save this session too. */
    returning = false

    constructor(
        private readonly context: SessionContext,
        public id: SessionId,
        /** The page scope's key in the record. */
        public pageKey: string,
        /** The signed page id views hand back (`''` for the default page scope). */
        public pageId: string,
        /** The stored record as loaded; `undefined` for a session with no state yet. */
        public raw: string | undefined,
        /** This request starts a fresh page: the default page scope is cleared too. */
        private readonly pageLoad: boolean
    ) {}

    #state(): StateRecord {
        if (this.#record) return this.#record
        const record = parse(this.raw)
        this.#record = record
        this.#session = record.s
        this.#page = record.p[this.pageKey] ?? {}
        if (this.pageLoad && record.p._) {
            delete record.p._
            this.#clearedDefault = true
        }
        return record
    }

    #scopeOf(key: string) {
        return this.context.fields.get(key)?.preserve ? this.#session : this.#page
    }

    read(key: string): unknown {
        const field = this.context.fields.get(key)
        if (!field) return undefined
        this.#state()
        const scope = field.preserve ? this.#session : this.#page
        if (!Object.hasOwn(scope, key)) scope[key] = field.initial()
        const value = scope[key]
        if (value !== null && typeof value === 'object') {
            this.#handedOut ??= new Map()
            if (!this.#handedOut.has(key)) this.#handedOut.set(key, JSON.stringify(value))
        }
        return value
    }

    write(key: string, value: unknown) {
        if (!this.context.fields.has(key)) throw new TypeError(`scopedState: '${key}' is not a key of the state setup.`)
        this.#state()
        this.#scopeOf(key)[key] = value
        this.#written ??= new Set()
        this.#written.add(key)
    }

    has(key: string) {
        return this.context.fields.has(key)
    }

    keys() {
        return [...this.context.fields.keys()]
    }

    /** Back to defaults: the page scope, or with `ignorePreserve` everything. */
    reset(ignorePreserve = false) {
        this.#state()
        this.#page = {}
        if (ignorePreserve) this.#session = {}
        this.#reset = ignorePreserve || this.#reset === 'all' ? 'all' : 'page'
    }

    /** Starts over with `id`, keeping the preserved keys; the page scopes stay behind. */
    moveTo(id: SessionId) {
        const { s } = this.#state()
        this.id = id
        this.raw = undefined
        this.#record = { s, p: {} }
        this.#session = s
        this.#page = {}
        this.#reset = 'page'
    }

    /** Drops all state; nothing this request still writes is kept. */
    destroy() {
        this.#record = { s: {}, p: {} }
        this.#session = {}
        this.#page = {}
        this.#destroyed = true
    }

    /** Keys this request changed: assigned, or handed out and mutated in place. */
    #changedKeys() {
        const keys = new Set(this.#written)
        if (this.#handedOut)
            for (const [key, json] of this.#handedOut)
                if (JSON.stringify(this.#scopeOf(key)[key]) !== json) keys.add(key)
        return keys
    }

    #hasChanges() {
        if (this.#written || this.#reset || this.#clearedDefault) return true
        return this.#handedOut !== undefined && this.#changedKeys().size > 0
    }

    /**
     * Re-applies this request's changes on top of `fresh`, the record as another request
     * of the same session has since saved it: both requests' changes are kept, key by key.
     * When the other request changed a key this one changed too, neither may overwrite
     * the other: this request fails with 409 and writes nothing.
     */
    rebase(fresh: string | undefined) {
        const changed = this.#changedKeys()
        const mine = { session: this.#session, page: this.#page }
        const before = parse(this.raw)
        this.raw = fresh
        this.#record = undefined
        const after = this.#state()
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
        const scopeIn = (record: StateRecord, preserve: boolean | undefined) =>
            (preserve ? record.s : record.p[this.pageKey]) ?? {}
        const conflict =
            (this.#reset && !same(scopeIn(before, false), scopeIn(after, false))) ||
            (this.#reset === 'all' && !same(before.s, after.s)) ||
            [...changed].some((key) => {
                const preserve = this.context.fields.get(key)?.preserve
                return !same(scopeIn(before, preserve)[key], scopeIn(after, preserve)[key])
            })
        if (conflict)
            throw new ScopedStateError(
                'Another request changed the same state at the same time; nothing was saved. Please try again.',
                409
            )
        if (this.#reset) this.#page = {}
        if (this.#reset === 'all') this.#session = {}
        for (const key of changed) {
            const preserve = this.context.fields.get(key)?.preserve
            const from = preserve ? mine.session : mine.page
            const to = preserve ? this.#session : this.#page
            if (Object.hasOwn(from, key)) to[key] = from[key]
            else delete to[key]
        }
    }

    /** The record to store, or `undefined` when nothing changed. Throws when a rule is broken. */
    serialize(): string | undefined {
        if (this.#destroyed) return undefined
        if (!this.#hasChanges()) return undefined
        const record = this.#state()
        validate(this.#session)
        validate(this.#page)
        record.s = this.#session
        delete record.p[this.pageKey]
        if (Object.keys(this.#page).length > 0) record.p[this.pageKey] = this.#page
        const pages = Object.keys(record.p)
        for (let i = 0; i < pages.length - this.context.maxPages; i++) delete record.p[pages[i] as string]
        const json = JSON.stringify(record)
        if (json === this.raw) return undefined
        const bytes = Buffer.byteLength(json)
        if (bytes > this.context.maxStateBytes)
            throw new ScopedStateError(
                `Scoped state would take ${bytes} bytes, over the limit of ${this.context.maxStateBytes}; it was not saved.`,
                413
            )
        return json
    }
}
