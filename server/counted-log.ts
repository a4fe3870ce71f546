/**
 * Tells the operator of requests answered with one status for a cause that is not a bug,
 * without a line per request: 503 when the session store fails or state was saved by a newer
 * version of the app (after a rollback), 403 when requests are refused as cross-site (a proxy
 * that does not pass the host it was asked for refuses every form). The first of a run at once,
 * then, every `every` milliseconds while they go on, how many came meanwhile, the last one's
 * cause too; then a line when a whole window passes without one, and the count not yet told
 * when the app stops. They are warnings: the requests themselves are answered as usual.
 *
 * @example
 * const outages = countedLog(console.warn, 503)
 * outages.report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
 */
export const countedLog = (write: (line: string) => void, status: number, every = 10_000) => {
    let untold = 0
    let latest: Error | undefined
    let timer: ReturnType<typeof setTimeout> | undefined

    const tell = (window: string) => {
        const requests = untold === 1 ? '1 more request' : `${untold} more requests`
        write(`${latest?.message} (${requests} answered ${status} ${window})`)
        untold = 0
    }
    const tick = () => {
        timer = undefined
        // Quiet: the cause is gone, or no request came; either way its count is complete.
        if (untold === 0) return write(`No request answered ${status} in the last ${every / 1000} s.`)
        tell(`in the last ${every / 1000} s`)
        timer = setTimeout(tick, every)
        timer.unref()
    }

    return {
        report(cause: Error) {
            if (timer) {
                untold++
                latest = cause
                return
            }
            write(`${cause.message} (further ones are counted every ${every / 1000} s)`)
            timer = setTimeout(tick, every)
            timer.unref()
        },
        /** Tells the count not told yet: the app is stopping. */
        stop() {
            clearTimeout(timer)
            timer = undefined
            if (untold > 0) tell('before the app stopped')
        }
    }
}
