/**
 * Tells the operator that the session store is failing, without a line per request: the
 * first failure at once, then at most one line per `every` milliseconds while failures go
 * on, counting the requests answered 503 since the last line. Requests themselves are
 * answered as usual (server/errors.tsx); an outage is not a bug, so this is a warning.
 *
 * @example
 * const report = outageLog(console.warn)
 * report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
 */
export const outageLog = (write: (line: string) => void, every = 10_000, now = Date.now) => {
    let reportedAt = Number.NEGATIVE_INFINITY
    let unreported = 0
    return (error: Error) => {
        unreported++
        const time = now()
        if (time - reportedAt < every) return
        const requests = unreported === 1 ? '1 request' : `${unreported} requests`
        write(`${error.message} (${requests} answered 503 since the last report)`)
        reportedAt = time
        unreported = 0
    }
}
