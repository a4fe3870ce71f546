/**
 * Checks a numeric option where it is given. A value read from an unset environment
 * variable (`Number(undefined)` is NaN), a fraction or one out of range would otherwise
 * fail far from its cause: no size is over a NaN limit, a timer given NaN or more than
 * `TIMER_MAX` runs every millisecond, and browsers ignore a fractional `Max-Age`.
 */
import { ScopedStateSetupError } from './errors.js'

/** The longest delay a timer takes, in milliseconds: past it, Bun (like Node) waits 1 ms instead. */
const TIMER_MAX = 2_147_483_647

interface Range {
    /** What the number counts, for the message: `'seconds'`. */
    unit?: string
    min: number
    /** @default Number.MAX_SAFE_INTEGER */
    max?: number
}

/** A value given where a number belongs, for the message: `string "3600"` for a variable not converted. */
const describe = (value: unknown) =>
    typeof value === 'number'
        ? String(value)
        : `${typeof value} ${typeof value === 'string' ? `"${value}"` : String(value)}`

/**
 * `value`, checked to be a whole number from `min` to `max`, else a `ScopedStateSetupError`
 * naming `owner`'s option `name`.
 *
 * @example
 * wholeNumber('memoryStore', 'maxSessions', maxSessions, { unit: 'sessions', min: 1 })
 */
export const wholeNumber = (
    owner: string,
    name: string,
    value: number,
    { unit, min, max = Number.MAX_SAFE_INTEGER }: Range
) => {
    if (!Number.isInteger(value) || value < min || value > max)
        throw new ScopedStateSetupError(
            `${owner}: ${name} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} ` +
                `${max === Number.MAX_SAFE_INTEGER ? 'up' : `to ${max}`}, got ${describe(value)}.`
        )
    return value
}

/** `value`, checked to be a delay a timer can wait: a whole number of milliseconds from `min` to `TIMER_MAX`. */
export const timerDelay = (owner: string, name: string, value: number, min = 1) =>
    wholeNumber(owner, name, value, { unit: 'milliseconds', min, max: TIMER_MAX })
