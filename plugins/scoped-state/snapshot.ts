/**
 * Another session's state as `peekScopedSession(id)` hands it to the app (a data download):
 * its preserved keys, and each page scope's keys, every key of the setup filled in with its
 * default where the record holds none.
 */
import { parseRecord, type RecordFormat, type Scope } from './record.js'
import type { ScopedStore, StateSetup } from './schema.js'

/**
 * Where a key's type says it lives. A `preserve` typed `boolean` (a setup declared apart from
 * `scopedState()`, without `satisfies StateSetup`) does not say: such a key may be in either.
 * (`value` makes the page's pattern no weak type, to which a field without `preserve` would not
 * be assignable.)
 */
type ScopeOf<Field> = Field extends { preserve: true }
    ? 'session'
    : Field extends { value: unknown; preserve?: false | undefined }
      ? 'page'
      : 'either'

type KeysIn<Setup extends StateSetup, Where> = {
    [Key in keyof Setup]: ScopeOf<Setup[Key]> extends Where ? Key : never
}[keyof Setup]

/**
 * One scope's keys: those it surely holds, and, optional, those whose type does not tell their
 * scope. One object type, not an intersection, so that editors show it as one.
 */
type ScopeValues<Setup extends StateSetup, Where> = Flat<
    Pick<ScopedStore<Setup>, KeysIn<Setup, Where>> & Partial<Pick<ScopedStore<Setup>, KeysIn<Setup, 'either'>>>
>

type Flat<Type> = { [Key in keyof Type]: Type[Key] }

/**
 * What `peekScopedSession(id)` answers for a session that holds state: the app's own copy,
 * which it may change without changing the session.
 */
export type ScopedSnapshot<Setup extends StateSetup> = {
    /** The preserved keys (`preserve: true`), shared by the session's tabs. */
    session: ScopeValues<Setup, 'session'>
    /**
     * The other keys, one object per page scope the session keeps (its tabs' pages, and the default
     * scope of requests that name no page), the one written last at the end; none when no page
     * scope holds a value of its own.
     */
    pages: ScopeValues<Setup, 'page'>[]
}

/** `scope`'s values of the setup's keys kept there (`preserved` or not), defaults where it has none. */
const filled = (scope: Scope, format: RecordFormat, preserved: boolean) => {
    const values: Scope = {}
    for (const [key, field] of format.fields)
        if (field.preserve === preserved) values[key] = Object.hasOwn(scope, key) ? scope[key] : field.initial()
    return values
}

/**
 * Record `raw` read as a request of its session reads it (migrated, or refused when newer). A parse
 * of its own, not the shared one that requests read: the app gets values no request shares, and a
 * session that is only read takes no place in the parse cache.
 */
export const snapshotOf = (raw: string, format: RecordFormat) => {
    const record = parseRecord(raw, format)
    return {
        session: filled(record.s, format, true),
        pages: Object.values(record.p).map((scope) => filled(scope, format, false))
    }
}
