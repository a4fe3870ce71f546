/**
 * Logs a bug (an error answered 500) in full the first time it is thrown from a place, then
 * only counts it there: a bug on a busy route would otherwise write a stack trace per request
 * (36 MB of them in 5 s under load, measured). Every `every` milliseconds, each place thrown
 * from again gets one line with its count; one quiet for a whole window is logged in full
 * again the next time.
 *
 * @example
 * const bugs = bugLog(console.error)
 * bugs.report(new TypeError('x is undefined'))
 */

/** Places counted at once at most: past it (values thrown that name no place), each is logged in full. */
const MAX_PLACES = 100

export const bugLog = (write: (entry: unknown) => void, every = 10_000, now = () => performance.now()) => {
    /** Places thrown from lately: the repeats not told yet, the last error, when it came. */
    const places = new Map<string, { count: number; error: unknown; at: number }>()
    let timer: ReturnType<typeof setTimeout> | undefined

    const tell = (window: string) => {
        const time = now()
        for (const [place, seen] of places) {
            if (seen.count > 0) {
                const times = seen.count === 1 ? 'once more' : `${seen.count} more times`
                write(`${describe(seen.error)}: thrown ${times} ${window}, as logged above`)
                seen.count = 0
            } else if (time - seen.at >= every) places.delete(place)
        }
    }
    const tick = () => {
        tell(`in the last ${every / 1000} s`)
        timer = places.size > 0 ? setTimeout(tick, every) : undefined
        timer?.unref()
    }

    return {
        report(error: unknown) {
            const place = placeOf(error)
            const seen = places.get(place)
            if (seen) {
                seen.count++
                seen.error = error
                seen.at = now()
                return
            }
            write(error)
            if (places.size >= MAX_PLACES) return
            places.set(place, { count: 0, error, at: now() })
            if (!timer) {
                timer = setTimeout(tick, every)
                timer.unref()
            }
        },
        /** Tells the repeats not told yet: the app is stopping. */
        stop() {
            clearTimeout(timer)
            timer = undefined
            tell('before the app stopped')
            places.clear()
        }
    }
}

/** One line: `String()` throws on some values (an object without a prototype), `Bun.inspect` does not. */
const describe = (error: unknown) =>
    error instanceof Error ? `${error.name}: ${error.message}` : Bun.inspect(error).replace(/\s*\n\s*/g, ' ')

/**
 * Where `error` was thrown: its stack's first frame in a file (a built-in such as `JSON.parse`
 * has none, and would make every bug that passes through it one). A value thrown that is no
 * error is its own place.
 */
const placeOf = (error: unknown) => {
    if (!(error instanceof Error)) return `value ${describe(error)}`
    const frame = error.stack?.split('\n').find((line) => /^\s*at .*:\d+:\d+\)?$/.test(line))
    return `${error.name} ${frame?.trim() ?? error.message}`
}
