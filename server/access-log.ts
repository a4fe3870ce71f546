/**
 * One line per request, `METHOD path status ms`, for development: `server/index.ts`
 * turns it on when NODE_ENV is development (the default), never in production or tests.
 *
 * @example
 * new Elysia().use(accessLog(console.log)).get('/', () => 'hi')
 * // GET / 200 0.4ms
 */
import { Elysia } from 'elysia'

type Handle = (request: Request) => Response | Promise<Response>

/**
 * The request's path. Not `new URL(url).pathname`: Bun builds the URL from the `Host` header,
 * and one that is no host (`Host: [`) makes it unparsable, which would throw after the app
 * has answered, and so turn an applied change into a 500. A `Host` Bun will not put in a URL
 * (`exé.com`, one with a space) leaves it relative: `/api/count?q=1`.
 */
const pathOf = (url: string) => {
    const start = url.startsWith('/') ? 0 : url.indexOf('/', url.indexOf('//') + 2)
    if (start < 0) return '/'
    const query = url.indexOf('?', start)
    return url.slice(start, query < 0 ? undefined : query)
}

export const accessLog = (write: (line: string) => void) =>
    // A wrap around the whole handler, not an `onAfterResponse` hook: that hook misses the
    // requests an `onRequest` hook answers early, such as the 403 of a cross-site POST.
    new Elysia().wrap((handle) => {
        // Elysia types the wrapped handler loosely; it takes the request and returns the response.
        const next = handle as unknown as Handle
        return async (request: Request) => {
            const startedAt = performance.now()
            const response = await next(request)
            const ms = (performance.now() - startedAt).toFixed(1)
            write(`${request.method} ${pathOf(request.url)} ${response.status} ${ms}ms`)
            return response
        }
    })
