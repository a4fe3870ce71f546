/**
 * What the GUIDE ("Changing the setup", `maxStateBytes`) says each client sees when the app
 * serving its request is at version 1, 2 or 3 (apps.ts), and what its session's record
 * becomes. A client's record is kept in one shape for all versions, with the version it was
 * saved under: read by an older version it answers 503 (and is left as it is), by a newer one
 * it is migrated for that request only, until a write saves it under that version.
 */
import { BLOAT, MAX_BYTES, TAGS_KEPT, type Version } from './apps'

/** The preserved keys, in one shape: `name` is version 2's `title`, `legacy` version 1's only, `note` version 3's. */
export interface Held {
    name: string
    tags: string[]
    legacy: number
    note: string
}
/** A session's record: the version it was saved under, its preserved keys, and its page scopes' counts in the order last written. */
export interface Rec {
    v: Version
    s: Held
    pages: Map<string, number>
}
export type Op =
    | { kind: 'state' | 'inc' | 'legacy' | 'clear' | 'page' | 'start-over' | 'logout' | 'login' }
    | { kind: 'tag' | 'name'; arg: string }
/** A client as the model sees it: its record (none before its first write) and the page it is on (`_`: none). */
export interface Client {
    rec: Rec | undefined
    page: string
}
export const DEFAULT_PAGE = '_'
/** The plugin's default `maxPages`. */
const MAX_PAGES = 16
/** Sizes here stay far below `MAX_BYTES` but for a bloated note, which is over it by itself. */
const bloated = (s: Held) => s.note.length > MAX_BYTES

/** What a request answers, and whether it saves its session's record (the store's text changes). */
export interface Outcome {
    status: number
    /** The JSON body, or the start of an error's text. */
    body: unknown
    /** Undefined where it depends on which keys the record holds (read or written before), which the model does not keep. */
    saves: boolean | undefined
}

const fresh = (): Held => ({ name: '', tags: [], legacy: 0, note: '' })

const NEWER = "This session's state was saved by a newer version of the app"
const MIGRATE_FAILED = 'scopedState: migrate failed on state saved under version 1'
const TOO_LARGE = 'Scoped state would take'

/** The preserved keys as version `v` reads them, or the error it answers. */
const readAt = (rec: Rec | undefined, v: Version): Held | Outcome => {
    if (!rec) return fresh()
    if (rec.v > v) return { status: 503, body: NEWER, saves: false }
    if (rec.v === v) return rec.s
    if (rec.v === 1 && rec.s.name.startsWith('!')) return { status: 500, body: MIGRATE_FAILED, saves: false }
    // `legacy` is removed from version 2 on; version 3's migrate fills `note`.
    return { ...rec.s, legacy: 0, note: v === 3 ? (rec.s.name === 'max' ? BLOAT : '') : rec.s.note }
}

/** What `GET /state` answers at version `v`. */
export const view = (s: Held, count: number, v: Version) =>
    v === 1
        ? { count, name: s.name, tags: s.tags.join(','), legacy: s.legacy }
        : v === 2
          ? { clicks: count, title: s.name, tags: s.tags, theme: 'light' }
          : {
                clicks: count,
                title: s.name,
                tags: s.tags.map((name) => ({ name })),
                theme: 'light',
                note: s.note.length
            }

const digits = (n: number) => String(n).length
const sameHeld = (a: Held, b: Held) => JSON.stringify(a) === JSON.stringify(b)

export class Model {
    clients: Client[]
    constructor(count: number) {
        this.clients = Array.from({ length: count }, () => ({ rec: undefined, page: DEFAULT_PAGE }))
    }

    /**
     * Saves client `c`'s change at version `v`: preserved keys `s`, its page's count `count`
     * (undefined: unchanged). `grows`: the record is larger than as read (migrated), which
     * over `maxStateBytes` answers 413; no larger, it is saved over the limit all the same,
     * with every other page scope dropped (record-size.ts).
     */
    private save(c: Client, v: Version, s: Held, count: number | undefined, grows: boolean, body: unknown): Outcome {
        const rec = c.rec
        const pages = new Map(rec?.pages)
        const key = c.page
        const last = [...pages.keys()].at(-1)
        // The same values: nothing is written (nor any page scope dropped) if the record held the key already,
        // as a bloated one does all the keys a change may keep its size with.
        if (rec && rec.v === v && sameHeld(rec.s, s) && count === undefined && (!pages.has(key) || last === key))
            return { status: 200, body, saves: bloated(s) ? false : undefined }
        if (bloated(s) && grows) return { status: 413, body: TOO_LARGE, saves: false }
        // The page's scope is written last: when its count changes, or it is stored and a preserved key changes.
        if (count !== undefined || pages.has(key)) {
            const n = count ?? (pages.get(key) as number)
            pages.delete(key)
            pages.set(key, n)
        }
        if (bloated(s)) for (const page of pages.keys()) if (page !== key) pages.delete(page)
        for (const page of [...pages.keys()].slice(0, Math.max(0, pages.size - MAX_PAGES))) pages.delete(page)
        c.rec = { v, s, pages }
        return { status: 200, body, saves: true }
    }

    /** What client `i`'s `op`, served at version `v`, answers; the model moves on accordingly. */
    apply(i: number, op: Op, v: Version): Outcome {
        const c = this.clients[i] as Client
        const ok = (body: unknown): Outcome => ({ status: 200, body, saves: false })
        // Routes that read no state answer at any version.
        if (op.kind === 'page') {
            const read = readAt(c.rec, v)
            const rec = c.rec
            // A page load drops the default page scope, where this version can read the record.
            if (!rec?.pages.has(DEFAULT_PAGE) || 'status' in read) return ok(undefined)
            const pages = new Map(rec.pages)
            pages.delete(DEFAULT_PAGE)
            // Over the limit, yet smaller than as read: saved, with every other page scope dropped.
            if (bloated(read)) pages.clear()
            c.rec = { v, s: read, pages }
            return { status: 200, body: undefined, saves: true }
        }
        if (op.kind === 'start-over') {
            const again = c.rec && c.rec.v === v && sameHeld(c.rec.s, fresh()) && c.rec.pages.size === 0
            const saves = again ? undefined : true
            c.rec = { v, s: fresh(), pages: new Map() }
            return { status: 200, body: 'started over', saves }
        }
        if (op.kind === 'logout') {
            const saves = c.rec !== undefined
            c.rec = undefined
            c.page = DEFAULT_PAGE
            return { status: 200, body: 'signed out', saves }
        }
        if ((op.kind === 'legacy' && v !== 1) || (op.kind === 'clear' && v !== 3))
            return ok(op.kind === 'legacy' ? 'gone' : 'none')
        const read = readAt(c.rec, v)
        if ('status' in read) return read
        const count = c.rec?.pages.get(c.page) ?? 0
        switch (op.kind) {
            case 'state':
                return ok(view(read, count, v))
            case 'login': {
                // The preserved keys, as read, go to the new session; the page scopes stay behind.
                c.rec = { v, s: read, pages: new Map() }
                c.page = DEFAULT_PAGE
                return { status: 200, body: 'signed in', saves: true }
            }
            case 'inc': {
                const stored = c.rec?.pages.has(c.page) === true
                return this.save(c, v, read, count + 1, !stored || digits(count + 1) > digits(count), count + 1)
            }
            case 'legacy':
                return this.save(c, v, { ...read, legacy: read.legacy + 1 }, undefined, true, read.legacy + 1)
            case 'clear':
                return this.save(c, v, { ...read, note: '' }, undefined, false, '')
            case 'name':
                // Names all have three characters: a change keeps the record's size.
                return this.save(c, v, { ...read, name: op.arg }, undefined, false, op.arg)
            case 'tag': {
                const tags = [...read.tags, op.arg].slice(-TAGS_KEPT)
                const body = v === 1 ? tags.join(',') : v === 2 ? tags : tags.map((name) => ({ name }))
                return this.save(c, v, { ...read, tags }, undefined, read.tags.length < TAGS_KEPT, body)
            }
        }
    }
}
