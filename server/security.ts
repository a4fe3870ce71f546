/**
 * Cross-site request forgery defence, and the headers every response carries: security,
 * caching and `Vary`.
 *
 * In production every response also carries `Strict-Transport-Security` (a year, this host only):
 * browsers honour it only over https and ignore it over plain http. Not in development, where
 * https on `localhost` would pin every local port to https for a year.
 *
 * Responses are `Cache-Control: no-store` unless their route says otherwise (static
 * assets do, with `set.headers['cache-control']`: in lower case, or Elysia sends both): a
 * page or fragment shows one user's state at one moment. Stored, a proxy could serve it to
 * another user, and the browser shows it again on Back/Forward with the page id it was
 * rendered with, so the next click continues from a number that is no longer on screen.
 *
 * Every response names `HX-Request` in `Vary` (answers that also depend on `Accept` say so,
 * `server/respond.ts`): the mark by which `public/app.js` tells the app's error answers, swapped
 * as htmx 4 swaps them, from those written before the app (a proxy's 429, 502 or 413).
 *
 * A request body over `MAX_BODY_BYTES` is refused here too, by the length it declares, before
 * it is parsed: as the app's other errors, so that a form posted without JavaScript gets a page
 * saying so (Bun's own 413, sent before the app, has no body: Chromium shows a blank error page).
 * What arrives of it is read and discarded, up to a bound, before the answer: closed on unread
 * bytes, the connection is reset, and Firefox loses the answer (`server/refused-body.ts`).
 *
 * CSRF is token-less, like Hono's `csrf` middleware: the session cookie is
 * SameSite=Lax, and an unsafe request (POST, PUT, PATCH, DELETE) is refused with
 * 403 before routing when the browser says it comes from another origin, a sibling
 * subdomain too: `Sec-Fetch-Site` other than `same-origin`/`none`, or else an
 * `Origin` that is not ours (scheme, host and port). Requests with neither header are not
 * from a browser form (browsers send `Origin` on every cross-site POST) and pass, so curl
 * and API clients still work.
 */
import { type Context, Elysia } from 'elysia'
import { cameOverHttps } from '../plugins/scoped-state'
import { CROSS_SITE_REFUSED, shownError, TOO_LARGE } from './errors'
import { afterDraining, type DrainLimits } from './refused-body'
import { isHtmx, wantsPage } from './respond'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * No inline script and no eval: htmx attributes work, but not those that run code (`hx-on`, a trigger's
 * `[filter]`, a `js:` value), nor an injected script.
 */
const CONTENT_SECURITY_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'"
].join('; ')

const SECURITY_HEADERS = {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    vary: 'HX-Request'
}

/**
 * Why an unsafe request (or a WebSocket's handshake, `server/live-reload.ts`) is taken to come
 * from a page of another origin, or `undefined` when it is not.
 */
export const crossSite = (request: Request) => {
    const site = request.headers.get('sec-fetch-site')
    // Quoted in the reasons: they are the client's, and may hold anything a header can.
    if (site)
        return site === 'same-origin' || site === 'none'
            ? undefined
            : `the browser says so (Sec-Fetch-Site: ${JSON.stringify(site)})`
    const origin = request.headers.get('origin')
    if (!origin) return undefined
    // Scheme too: a page of this host over plain http (a network attacker's) is another origin.
    const host = request.headers.get('host') ?? URL.parse(request.url)?.host
    const own = `${cameOverHttps(request) ? 'https' : 'http'}://${host}`
    // Both as URL writes them: host in lower case, no default port.
    if (URL.canParse(origin) && URL.canParse(own) && new URL(origin).origin === new URL(own).origin) return undefined
    return (
        `its Origin, ${JSON.stringify(origin)}, is not this site, ${JSON.stringify(own)} ` +
        '(behind a proxy, it must pass the Host it was asked for, port included, and X-Forwarded-Proto)'
    )
}

/**
 * The largest request body the app reads: far above what its forms send (a few hundred bytes).
 * Elysia parses a whole body before the handler runs: at 1 MiB, a body shaped to be costly
 * (deeply nested JSON, tens of thousands of form fields) took 30–65 ms of CPU to parse.
 */
export const MAX_BODY_BYTES = 65_536

/**
 * The body length a request declares, `Infinity` for one that is not a number. Bun accepts
 * `Content-Length` sent twice with one value and reads that many bytes, but the headers join the
 * two as `70000, 70000`: read as one number, that was NaN, never over the limit, and the body
 * was read whole, up to Bun's own limit (`server/listen.ts`).
 */
const declaredLength = (request: Request) => {
    const declared = request.headers.get('content-length')?.split(',') ?? []
    return Math.max(0, ...declared.map((value) => (/^\s*\d+\s*$/.test(value) ? Number(value) : Infinity)))
}

/**
 * The status that refuses a request's body before it is read, or `undefined`: 413 over
 * `MAX_BODY_BYTES`, and 411 for a body whose length is not declared up front (chunked), which
 * could only be measured by reading it. Browsers declare the length of every form they post.
 */
const bodyRefusal = (request: Request) => {
    if (request.headers.has('transfer-encoding')) return 411
    return declaredLength(request) > MAX_BODY_BYTES ? 413 : undefined
}

const HSTS = { 'strict-transport-security': 'max-age=31536000' }

export interface SecurityOptions {
    /** Send `Strict-Transport-Security`: turn on in production. @default false */
    hsts?: boolean
    /** Hears of each request refused as cross-site, and why. @default nothing */
    refused?: (reason: Error) => void
    /** How much of a refused body is read before the refusal is sent (`server/refused-body.ts`). */
    drain?: DrainLimits
}

export const security = ({ hsts = false, refused = () => {}, drain }: SecurityOptions = {}) => {
    const headers = hsts ? { ...SECURITY_HEADERS, ...HSTS } : SECURITY_HEADERS
    /** The answer to a request refused before routing, or `undefined` for one that goes on. */
    const refusal = (request: Request, set: Context['set']) => {
        const reason = UNSAFE.has(request.method) ? crossSite(request) : undefined
        if (reason) {
            refused(new Error(`Refused ${request.method} as cross-site: ${reason}`))
            set.status = 403
            if (!isHtmx(request) && !wantsPage(request)) return 'Cross-site request refused.'
            // A form posted without JavaScript: another site's, or this site's behind a proxy that does
            // not pass the host it was asked for. htmx: only this site's pages can send its requests
            // (another site's would need CORS), so this one met such a proxy. Either is told as the
            // app's other errors are.
            return shownError(request, set, CROSS_SITE_REFUSED)
        }
        const oversize = bodyRefusal(request)
        if (!oversize) return undefined
        set.status = oversize
        // Past the bound it is read to, the client may still be sending the body: left open, the
        // connection would count as a request in flight, and hold a shutdown for its whole grace period.
        set.headers.connection = 'close'
        if (oversize === 411) return afterDraining(request, 'Length Required', drain)
        if (!isHtmx(request) && !wantsPage(request)) return afterDraining(request, 'Payload Too Large', drain)
        return afterDraining(request, shownError(request, set, TOO_LARGE), drain)
    }
    return new Elysia({ name: 'security', seed: hsts })
        .onRequest(({ request, set }) => {
            Object.assign(set.headers, headers)
            // Returned under a test, not as `return refusal(…)` (which Bun's transpiler makes of a name
            // returned at once): Elysia awaits a hook whose source returns a call's result, or says
            // async or await, and that await costs every request. Only a refused body's answer is a
            // promise, which Elysia awaits for that request alone.
            const answer = refusal(request, set)
            if (answer !== undefined) return answer
        })
        .as('global')
}
