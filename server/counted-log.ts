/**
 * Tells the operator of events that are no bug but cost users something, without a line per
 * event: requests answered 503 (the session store failing, state saved by a newer version of
 * the app) or 403 (refused as cross-site: a proxy that does not pass the host it was asked for
 * refuses every form), sessions evicted by a full memory store. The first of a run at once,
 * then, every `every` milliseconds while they go on, how many came meanwhile, the last one's
 * cause too; then a line when a whole window passes without one, and the count not yet told
 * when the app stops. They are warnings: the requests themselves are answered as usual.
 *
 * @example
 * const outages = countedLog(console.warn, { one: 'request answered 503', many: 'requests answered 503' })
 * outages.report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
 */
export const countedLog = (write: (line: string) => void, what: { one: string; many: string }, every = 10_000) => {
    let untold = 0
    let latest: Error | undefined
    let timer: ReturnType<typeof setTimeout> | undefined

    const tell = (window: string) => {
        write(`${latest?.message} (${untold} more ${untold === 1 ? what.one : what.many} ${window})`)
        untold = 0
    }
    const tick = () => {
        timer = undefined
        // Quiet: the cause is gone, or no request came; either way its count is complete.
        if (untold === 0) return write(`No ${what.many} in the last ${every / 1000} s.`)
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
