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

export const bugLog = (write: (entry: unknown) => void, every = 10_000) => {
    /** Places thrown from in this window, with their repeats since they were last told. */
    const repeats = new Map<string, { count: number; error: unknown }>()
    let timer: ReturnType<typeof setTimeout> | undefined

    const tell = (window: string) => {
        for (const [place, seen] of repeats) {
            if (seen.count === 0) {
                repeats.delete(place)
                continue
            }
            const times = seen.count === 1 ? 'once more' : `${seen.count} more times`
            write(`${describe(seen.error)}: thrown ${times} ${window}, as logged above`)
            seen.count = 0
        }
    }
    const tick = () => {
        tell(`in the last ${every / 1000} s`)
        timer = repeats.size > 0 ? setTimeout(tick, every) : undefined
        timer?.unref()
    }

    return {
        report(error: unknown) {
            const place = placeOf(error)
            const seen = repeats.get(place)
            if (seen) {
                seen.count++
                seen.error = error
                return
            }
            write(error)
            if (repeats.size >= MAX_PLACES) return
            repeats.set(place, { count: 0, error })
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
            repeats.clear()
        }
    }
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error))

/** Where `error` was thrown, as its stack's first frame says; a value thrown that is no error is its own place. */
const placeOf = (error: unknown) => {
    if (!(error instanceof Error)) return `value ${String(error)}`
    const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '))
    return `${error.name} ${frame?.trim() ?? error.message}`
}
