/**
 * Tells the operator that sessions cannot be served, without a line per request: the
 * session store failing, or state saved by a newer version of the app (after a rollback).
 * The first failure of a run at once, then, every `every` milliseconds while failures go on,
 * how many requests were answered 503 meanwhile, the last of them too; then a line when a
 * whole window passes without one, and the count not yet told when the app stops. Requests
 * themselves are answered as usual (server/errors.tsx); these are not bugs, so they are warnings.
 *
 * @example
 * const outages = outageLog(console.warn)
 * outages.report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
 */
export const outageLog = (write: (line: string) => void, every = 10_000) => {
    let unreported = 0
    let latest: Error | undefined
    let timer: ReturnType<typeof setTimeout> | undefined

    const tell = (window: string) => {
        const requests = unreported === 1 ? '1 more request' : `${unreported} more requests`
        write(`${latest?.message} (${requests} answered 503 ${window})`)
        unreported = 0
    }
    const tick = () => {
        timer = undefined
        // Quiet: the outage is over, or no request came; either way its count is complete.
        if (unreported === 0) return write(`No request answered 503 in the last ${every / 1000} s.`)
        tell(`in the last ${every / 1000} s`)
        timer = setTimeout(tick, every)
        timer.unref()
    }

    return {
        report(error: Error) {
            if (timer) {
                unreported++
                latest = error
                return
            }
            write(`${error.message} (further failures are counted every ${every / 1000} s)`)
            timer = setTimeout(tick, every)
            timer.unref()
        },
        /** Tells the count not told yet: the app is stopping. */
        stop() {
            clearTimeout(timer)
            timer = undefined
            if (unreported > 0) tell('before the app stopped')
        }
    }
}
