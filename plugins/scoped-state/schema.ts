/**
 * The state setup: its types, and the rules every stored value follows.
 *
 * State values are JSON values (null, booleans, finite numbers, strings, arrays and
 * plain objects), so every store can keep them and they read back as written (-0 as 0).
 * Anything else (a Date, a Map, a class instance, a function, undefined, NaN, a cycle,
 * a symbol key, a property not enumerable) is refused with an error that names the key.
 * Left out, as JSON leaves them out: an object's property set to undefined, and an array's
 * own named properties (looking for those would double the check's time on a long array).
 */
import { ScopedStateSetupError } from './errors.js'

/** One key of the setup: its initial value, and whether it survives page loads. */
export interface StateField<T = unknown> {
    value: T
    /**
     * Keep the value across page refreshes and navigation (session scope, shared by
     * the user's tabs). Without it the value belongs to one page load of one tab.
     * @default false
     */
    preserve?: boolean | undefined
}

/**
 * What a default may be, as far as types tell (the JSON rule is checked at creation).
 * Narrower than `unknown` so that literals keep their type where the setup is generic:
 * `theme: 'dark'` returned from `migrate` stays `'dark'`, not `string`.
 */
export type StateValue = string | number | boolean | object | null

export type StateSetup = Record<string, StateField<StateValue>>

/**
 * A default's type as a key's type. TypeScript infers `value: false` written inline as
 * `false` (`boolean` is the union `true | false`), while `0` and `''` widen by themselves.
 * Only a lone `true` or `false`: a union the app wrote (`false as false | User`) is its type,
 * and so is `any` (a setup without types).
 */
type Widened<Value> = 0 extends 1 & Value ? Value : [Value] extends [boolean] ? boolean : Value

/**
 * What handlers see as `scopedStore`: one flat, typed object, `{ count: number, … }`. Name it
 * as `ScopedStore<typeof setup>` to type a helper that takes the store. Writable even when
 * the setup is `as const`.
 */
export type ScopedStore<Setup extends StateSetup> = { -readonly [Key in keyof Setup]: Widened<Setup[Key]['value']> }

/** Objects the JSON rule refuses that `object` in `StateValue` would let through. */
type NotJson =
    | undefined
    | bigint
    | symbol
    | ((...args: never[]) => unknown)
    | Date
    | RegExp
    | Map<unknown, unknown>
    | Set<unknown>
    | WeakMap<object, unknown>
    | WeakSet<object>
    | Promise<unknown>
    | ArrayBuffer
    | ArrayBufferView
type JsonOnly<Value> = Value extends NotJson
    ? { 'a JSON value (null, boolean, finite number, string, array, plain object)': never }
    : Value extends object
      ? {
            [Key in keyof Value]: Key extends symbol
                ? { 'a string key (JSON leaves symbol keys out)': never }
                : JsonOnly<Value[Key]>
        }
      : Value

/**
 * The checks of `compileSetup` that types can make, for `scopedState`'s `setup`: each default a
 * JSON value (class instances pass here, and are refused at creation), and no field other than
 * `value` and `preserve` (a misspelt `preserve` would make a key silently page-scoped), and no
 * key `__proto__` (see `compileSetup`).
 */
export type SetupCheck<Setup> = {
    [Key in keyof Setup]: Key extends '__proto__'
        ? { "'__proto__' cannot be a state key": never }
        : { value: JsonOnly<Setup[Key] extends { value: infer Value } ? Value : never> } & {
              [Field in Exclude<keyof Setup[Key], keyof StateField>]: {
                  'unknown field: a key is { value, preserve? }': never
              }
          }
}

/** A compiled key of the setup. */
export interface Field {
    preserve: boolean
    /** A new copy of the initial value: never shared between users or with `setup`. */
    initial(): unknown
}

const describe = (value: unknown) => {
    if (value === undefined) return 'undefined'
    if (typeof value === 'number') return String(value)
    if (typeof value !== 'object' && typeof value !== 'function') return `a ${typeof value}`
    const name = (value as object).constructor?.name
    return name ? `a ${name}` : 'an object with a custom prototype'
}

const isPlainObject = (value: object) => {
    const proto = Object.getPrototypeOf(value)
    return proto === Object.prototype || proto === null
}

/** The first property of `object` that JSON leaves out: a symbol key, or one defined as not enumerable. */
const leftOut = (object: object) => {
    const kept = new Set<PropertyKey>(Object.keys(object))
    const key = Reflect.ownKeys(object).find((own) => !kept.has(own)) as PropertyKey
    return ` has a property JSON leaves out, ${typeof key === 'symbol' ? key.toString() : `'${key}'`}`
}

/**
 * Where `value` stops being a JSON value, as ` holds …` after the path below `value`, or
 * `undefined` when it is one. The path is built on the way back from a problem only, and
 * ancestors are kept in a set: a deep value (user-supplied JSON) costs its size, not its
 * size times its depth.
 */
const problemIn = (value: unknown, parents: Set<object>): string | undefined => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
    if (typeof value === 'number') return Number.isFinite(value) ? undefined : ` holds ${value}`
    if (typeof value !== 'object') return ` holds ${describe(value)}`
    if (parents.has(value)) return ' refers back to itself'
    parents.add(value)
    let problem: string | undefined
    if (Array.isArray(value)) {
        for (let i = 0; i < value.length && !problem; i++) {
            const inner = problemIn(value[i], parents)
            if (inner) problem = `[${i}]${inner}`
        }
    } else if (isPlainObject(value)) {
        const keys = Object.keys(value)
        // JSON would drop it without a word, and the value read back without it.
        if (Reflect.ownKeys(value).length !== keys.length) problem = leftOut(value)
        else
            for (const key of keys) {
                const property = (value as Record<string, unknown>)[key]
                // An optional property set to undefined (`{ ...note, due: undefined }`) is left out, as
                // JSON leaves it out, and reads back as undefined all the same. In an array it would
                // read back as null: refused there.
                if (property === undefined) continue
                const inner = problemIn(property, parents)
                if (inner) {
                    problem = `.${key}${inner}`
                    break
                }
            }
    } else problem = ` holds ${describe(value)}`
    parents.delete(value)
    return problem
}

/** Where `value` stops being a JSON value, as `path holds …`, or `undefined` when it is one. */
export const findNonJson = (value: unknown, path: string): string | undefined => {
    try {
        const problem = problemIn(value, new Set())
        return problem === undefined ? undefined : path + problem
    } catch (error) {
        // Nested tens of thousands deep (user-supplied JSON): the stack ends before the value does.
        if (error instanceof RangeError) return `${path} is nested too deeply`
        throw error
    }
}

export const JSON_RULE = 'state values must be JSON values (null, boolean, finite number, string, array, plain object)'

/** Checks the setup once, when the plugin is created, and compiles it. */
export const compileSetup = (setup: StateSetup): Map<string, Field> => {
    const fields = new Map<string, Field>()
    // `__proto__: { value }` in an object literal sets its prototype: typed as a key, it would be none.
    const prototype = Object.getPrototypeOf(setup)
    if (prototype !== Object.prototype && prototype !== null)
        throw new ScopedStateSetupError(
            "scopedState: the setup must be a plain object ('__proto__' cannot be a state key: written in an object literal, it sets the prototype)."
        )
    for (const key of Object.keys(setup)) {
        // Assigned on a plain object, it would set the object's prototype instead of a value.
        if (key === '__proto__') throw new ScopedStateSetupError("scopedState: '__proto__' cannot be a state key.")
        const field = setup[key]
        if (!field || typeof field !== 'object' || !('value' in field))
            throw new ScopedStateSetupError(`scopedState: '${key}' must be { value, preserve? }.`)
        const unknown = Object.keys(field).find((name) => name !== 'value' && name !== 'preserve')
        if (unknown !== undefined)
            throw new ScopedStateSetupError(
                `scopedState: '${key}' has an unknown field '${unknown}': a key is { value, preserve? }.`
            )
        const problem = findNonJson(field.value, key)
        if (problem)
            throw new ScopedStateSetupError(
                `scopedState: the default of '${key}' cannot be stored: ${problem}; ${JSON_RULE}.`
            )
        const { value } = field
        const json = JSON.stringify(value)
        fields.set(key, {
            preserve: field.preserve === true,
            initial: value !== null && typeof value === 'object' ? () => JSON.parse(json) : () => value
        })
    }
    return fields
}
