/**
 * The stored record, and reading it back under a newer setup.
 *
 * Record (JSON): `{ "v": version, "s": { preserved keys }, "p": { "<page>": { other keys } } }`,
 * without `v` at version 1. Saved state outlives deploys and restarts, so a record may
 * come from an older setup: `migrate` turns it into the current shape, or it reads as
 * defaults. A record from a newer setup (instances already deployed) is refused, never
 * overwritten: this instance cannot know what its keys mean now. So is one with a field
 * other than these three: a later version of this plugin that changes the record's format
 * adds a field, so that this one, still running during a deploy or rolled back to, keeps
 * those records instead of reading them as unreadable and starting them over.
 */
import { ScopedStateSetupError, UnreadableStateError } from './errors.js'
import { type Field, findNonJson, JSON_RULE } from './schema.js'
import { wholeNumber } from './whole-number.js'

export type Scope = Record<string, unknown>

export interface StateRecord {
    v?: number
    s: Scope
    p: Record<string, Scope>
}

/** Turns one scope's keys, as saved under version `from`, into the current shape. */
type Migrate = (saved: Scope, from: number) => Scope

/** What reading a record needs to know of the setup. */
export interface RecordFormat {
    fields: Map<string, Field>
    version: number
    migrate: Migrate | undefined
}

/** Checks the version options once, when the plugin is created. */
export const recordFormat = (fields: Map<string, Field>, version = 1, migrate?: Migrate): RecordFormat => {
    wholeNumber('scopedState', 'version', version, { min: 1 })
    if (migrate && version === 1)
        throw new ScopedStateSetupError(
            'scopedState: migrate upgrades state saved under an older version: raise version above 1 to use it.'
        )
    return { fields, version, migrate }
}

const isScope = (value: unknown): value is Scope => value !== null && typeof value === 'object' && !Array.isArray(value)

/** A parsed record with its scopes where the plugin looks for them: objects of keys. */
const isRecord = (value: unknown): value is StateRecord => {
    if (!isScope(value)) return false
    const { s, p } = value as Partial<StateRecord>
    if (!isScope(s) || !isScope(p)) return false
    for (const page in p) if (!isScope(p[page])) return false
    return true
}

/** The record's fields; any other is a later format's (see above). */
const FIELDS = new Set(['v', 's', 'p'])

/**
 * A record that is no JSON, or not of a record's shape: read as the defaults, and replaced at the
 * next change. Not `UnreadableStateError`, which keeps a record another version of the app wrote.
 */
const corruptAsDefaults = (): StateRecord => {
    console.warn(
        'scopedState: a stored session record was unreadable; it reads as the defaults, and its next change replaces it.'
    )
    return { s: {}, p: {} }
}

/**
 * One saved scope in the current shape: the keys `migrate` changed, the other saved ones kept,
 * each only if the setup still has it, in a scope of this kind.
 */
const migrateScope = (
    saved: Scope,
    from: number,
    preserved: boolean,
    fields: RecordFormat['fields'],
    migrate: Migrate
) => {
    const scope: Scope = {}
    let changed: Scope
    try {
        changed = migrate({ ...saved }, from)
    } catch (error) {
        // Left as it is, the state can still be read once migrate is mended.
        throw new UnreadableStateError(
            `scopedState: migrate failed on state saved under version ${from} (the error is this one's cause); ` +
                'the saved state was left as it is.',
            500,
            { cause: error }
        )
    }
    if (!isScope(changed))
        throw new UnreadableStateError('scopedState: migrate must return an object of state keys.', 500)
    for (const [key, field] of fields) {
        if (field.preserve !== preserved) continue
        if (!Object.hasOwn(changed, key)) {
            if (Object.hasOwn(saved, key)) scope[key] = saved[key]
            continue
        }
        const value = changed[key]
        if (value === undefined) continue
        const problem = findNonJson(value, `scopedStore.${key}`)
        if (problem) throw new UnreadableStateError(`scopedState: migrate returned ${problem}; ${JSON_RULE}.`, 500)
        // A copy: the record is frozen for sharing, and `migrate` may return an object of the app's own.
        scope[key] = structuredClone(value)
    }
    return scope
}

/** Record `raw` in the current setup's shape; a fresh empty record for `undefined`. */
export const parseRecord = (raw: string | undefined, format: RecordFormat): StateRecord => {
    if (raw === undefined) return { s: {}, p: {} }
    let record: unknown
    try {
        record = JSON.parse(raw)
    } catch {
        return corruptAsDefaults()
    }
    // Before the shape is checked: a later format may change `s` or `p` too.
    if (isScope(record))
        for (const field in record)
            if (!FIELDS.has(field))
                throw new UnreadableStateError(
                    "This session's state was saved by a newer version of the app (its state format); nothing " +
                        'was changed. Please try again in a moment.',
                    503
                )
    if (!isRecord(record)) return corruptAsDefaults()
    const from = record.v ?? 1
    if (!Number.isSafeInteger(from) || from < 1) return corruptAsDefaults()
    if (from === format.version) return record
    if (from > format.version)
        throw new UnreadableStateError(
            `This session's state was saved by a newer version of the app (state version ${from}, this instance ` +
                `has ${format.version}); nothing was changed. Please try again in a moment.`,
            503
        )
    const { fields, migrate } = format
    if (!migrate) return { s: {}, p: {} }
    const migrated: StateRecord = { s: migrateScope(record.s, from, true, fields, migrate), p: {} }
    for (const page of Object.keys(record.p)) {
        const scope = migrateScope(record.p[page] ?? {}, from, false, fields, migrate)
        if (Object.keys(scope).length > 0) migrated.p[page] = scope
    }
    return migrated
}
