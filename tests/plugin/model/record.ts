/**
 * The model's view of a stored record: the preserved keys, the page scopes in the order they
 * were last written, and what a save does to it.
 */
import { fits, MAX_PAGES } from './app'
import { count } from './stats'

export type Scope = Map<string, unknown>
export interface Rec {
    s: Scope
    /** Page scopes, least recently written first. */
    p: Map<string, Scope>
}

export const DEFAULTS: Record<string, unknown> = { count: 0, tags: [], note: '', theme: 'light' }
export const PRESERVED = new Set(['theme'])

export const copyRec = (rec: Rec | undefined): Rec =>
    rec
        ? { s: new Map(rec.s), p: new Map([...rec.p].map(([key, scope]) => [key, new Map(scope)])) }
        : { s: new Map(), p: new Map() }

const noteBytes = (rec: Rec) => {
    let bytes = 0
    for (const scope of rec.p.values()) bytes += String(scope.get('note') ?? '').length
    return bytes
}

/**
 * What a save does to `rec` written from page `pageKey` (README, GUIDE "Options"): the page
 * written last; `maxPages` kept, least recently written dropped first; over `maxStateBytes`, other
 * page scopes dropped, least recently written first, then 413.
 */
export const fitRecord = (rec: Rec, pageKey: string): Rec | 'tooLarge' => {
    const scope = rec.p.get(pageKey)
    rec.p.delete(pageKey)
    if (scope && scope.size > 0) rec.p.set(pageKey, scope)
    for (const key of [...rec.p.keys()].slice(0, Math.max(0, rec.p.size - MAX_PAGES))) {
        rec.p.delete(key)
        count('event: maxPages drop')
    }
    for (const key of [...rec.p.keys()]) {
        if (key === pageKey || fits(noteBytes(rec))) break
        rec.p.delete(key)
        count('event: size drop')
    }
    return fits(noteBytes(rec)) ? rec : 'tooLarge'
}
