/**
 * A stored record parsed once for all the requests of a session that load it. A request
 * that only reads primitive values never parses the record: it reads this parse, deeply
 * frozen so that no request can change it for another, and makes its own copy when it
 * writes, resets, or reads an object (which it may mutate in place).
 */
import type { BoundedCache } from './bounded-cache.js'
import { parseRecord, type RecordFormat, type Scope, type StateRecord } from './record.js'

/** `raw` parsed and deeply frozen, so every request reading it may share it. */
export interface ParsedRecord {
    raw: string
    record: StateRecord
}

/** A plugin's setup, and its last parse of recently used sessions' records, by session id. */
export interface ParseCache extends RecordFormat {
    parsed: BoundedCache<ParsedRecord>
}

/** Longer records are parsed on every request instead of cached, which bounds the cache's memory. */
const CACHED_RECORD_LENGTH = 1024

const EMPTY: StateRecord = Object.freeze({ s: Object.freeze({}), p: Object.freeze({}) })

const deepFreeze = (value: unknown) => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key])
    Object.freeze(value)
}

/** Session `id`'s record `raw`, parsed once for all the requests that load it. */
export const sharedParse = (id: string, raw: string | undefined, cache: ParseCache): StateRecord => {
    if (raw === undefined) return EMPTY
    const cached = cache.parsed.get(id)
    if (cached?.raw === raw) return cached.record
    const record = parseRecord(raw, cache)
    // A longer record is not cached: this parse is the reading request's alone, so it needs
    // neither freezing nor copying (`own` copies only frozen objects).
    if (raw.length > CACHED_RECORD_LENGTH) return record
    deepFreeze(record)
    cache.parsed.add(id, { raw, record })
    return record
}

/** A private copy of a value of the shared parse (objects are frozen there); other values as they are. */
export const own = (value: unknown) =>
    Object.isFrozen(value) && value !== null && typeof value === 'object' ? structuredClone(value) : value

/**
 * Whether the next request may read a value the request changed as it is: not an object, which
 * the application may still hold and change, nor -0, which the record's JSON holds as 0.
 */
const shareable = (value: unknown) => (typeof value !== 'object' || value === null) && !Object.is(value, -0)

/**
 * Makes `record`, just saved as `json`, session `id`'s shared parse, so that its next request
 * reads it without parsing. Only when its `scopes` (those the request changed) hold primitives
 * alone, none of them -0 (`shareable`): its next request in this process must read what a
 * parse of `json` reads. Returns whether it did: then `record` is frozen.
 */
export const shareSaved = (cache: ParseCache, id: string, json: string, record: StateRecord, scopes: Scope[]) => {
    if (json.length > CACHED_RECORD_LENGTH) return false
    for (const scope of scopes) for (const key in scope) if (!shareable(scope[key])) return false
    for (const scope of scopes) Object.freeze(scope)
    // Other pages' scopes come from the parse this request read: a long record's is not frozen.
    deepFreeze(record.p)
    cache.parsed.add(id, { raw: json, record: Object.freeze(record) })
    return true
}
