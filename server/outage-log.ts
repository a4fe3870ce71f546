/**
 * Tells the operator that sessions cannot be served, without a line per request: the
 * session store failing, or state saved by a newer version of the app (after a rollback).
 * The first failure of a run at once, then, every `every` milliseconds while failures go on,
 * how many requests were answered 503 meanwhile, the last of them too. Requests themselves
 * are answered as usual (server/errors.tsx); these are not bugs, so they are warnings.
 *
 * @example
 * const report = outageLog(console.warn)
 * report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
 */
export const outageLog = (write: (line: string) => void, every = 10_000) => {
    let unreported = 0
    let latest: Error | undefined
    let timer: ReturnType<typeof setTimeout> | undefined

    const flush = () => {
        if (unreported > 0 && latest) {
            const requests = unreported === 1 ? '1 more request' : `${unreported} more requests`
            write(`${latest.message} (${requests} answered 503 in the last ${every / 1000} s)`)
            unreported = 0
            timer = setTimeout(flush, every)
            timer.unref()
        } else timer = undefined
    }

    return (error: Error) => {
        if (timer) {
            unreported++
            latest = error
            return
        }
        write(`${error.message} (further failures are counted every ${every / 1000} s)`)
        timer = setTimeout(flush, every)
        timer.unref()
    }
}
