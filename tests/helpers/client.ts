/**
 * A browser-like client over `app.handle`: keeps the session cookie it is given,
 * drops it when the server clears it, and sends the app's own cookies (a language, say) beside it.
 *
 * @example
 * const alice = client(app)
 * await alice.post('/api/increment')
 */
import { PAGE_HEADER } from '../../plugins/scoped-state'

interface Handler {
    handle(request: Request): Promise<Response> | Response
}

export const BASE = 'http://localhost'

/** What Chromium sends as `Accept` when it loads a document or posts a form. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'
/** Headers a browser sends when it loads a document. */
export const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: BROWSER_ACCEPT }
/** Headers htmx 4 sends with its requests. */
export const HTMX = { 'hx-request': 'true', accept: 'text/html' }
/** Headers htmx 4 sends with the requests of the page whose id is `page`. */
export const inPage = (page: string) => ({ ...HTMX, [PAGE_HEADER]: page })
/** The `Content-Type` of a form's fields, as browsers and curl's `-d` send them. */
export const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' }
/**
 * Headers a browser sends when it posts a form with JavaScript off. Without an `Origin`, as curl
 * and some clients send it, which the CSRF check lets through; add `origin: 'http://localhost'`
 * (the test app's own) to post as a browser does, or another site's to test the refusal.
 */
export const FORM_POST = { ...FORM_TYPE, accept: BROWSER_ACCEPT }
/** Headers htmx 4 sends when it posts a form's fields. */
export const HTMX_FORM = { ...HTMX, ...FORM_TYPE }

/**
 * A `Handler` sending the client's requests over HTTP to a server listening on `port` (127.0.0.1).
 * A redirect is answered, not followed, as `app.handle` answers it.
 */
export const overHttp = (port: number | undefined): Handler => ({
    handle: (request) =>
        fetch(new Request(request.url.replace(BASE, `http://127.0.0.1:${port}`), request), { redirect: 'manual' })
})

/** A session cookie's `name=value`: its value starts with the 24-character session id. */
const SESSION_PAIR = /^[^=]+=[\w-]{24}\./

const nameOf = (pair: string) => pair.split('=')[0] as string

export const client = (app: Handler, cookie = '') => {
    /** The app's own cookies by name, as `name=value`: a response may set one beside the session's. */
    const own = new Map<string, string>()
    /** Each cookie a response sets replaces the one of its name; `Max-Age=0` drops it. */
    const keep = (line: string) => {
        const pair = line.split(';')[0] as string
        const cleared = /Max-Age=0(;|$)/.test(line)
        if (SESSION_PAIR.test(pair) || (cookie !== '' && nameOf(pair) === nameOf(cookie))) cookie = cleared ? '' : pair
        else if (cleared) own.delete(nameOf(pair))
        else own.set(nameOf(pair), pair)
    }
    const request = async (method: string, path: string, init: { headers?: HeadersInit; body?: BodyInit } = {}) => {
        const headers = new Headers(init.headers)
        const sent = [cookie, ...own.values()].filter(Boolean).join('; ')
        if (sent && !headers.has('cookie')) headers.set('cookie', sent)
        // As a browser, which sends no #fragment: `app.handle` would read it into the last query parameter
        // (a redirect's `page_id`, which then names no page) and Elysia's `query` too.
        const address = path.split('#')[0] as string
        const response = await app.handle(new Request(BASE + address, { method, headers, body: init.body }))
        // One line per cookie: `get('set-cookie')` joins them with commas, and its first is not always the session's.
        for (const line of response.headers.getSetCookie()) keep(line)
        return response
    }
    return {
        get: (path: string, headers?: HeadersInit) => request('GET', path, { headers }),
        post: (path: string, headers?: HeadersInit, body?: BodyInit) => request('POST', path, { headers, body }),
        /** The GET body as text. */
        text: async (path: string, headers?: HeadersInit) => (await request('GET', path, { headers })).text(),
        /** The session cookie's `name=value`, `''` when there is none; the app's own cookies are kept apart. */
        get cookie() {
            return cookie
        },
        set cookie(value: string) {
            cookie = value
        }
    }
}

/** The `Max-Age` of the cookie `response` sets; `undefined` when it sets none, or one without it. */
export const maxAgeOf = (response: Response) => /Max-Age=(\d+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]

/** The page id a page carries for htmx (`hx-headers:inherited` on `<body>`); throws when it has none. */
export const pageIdOf = (html: string) => {
    const pageId = /"x-page-id":"([^"]+)"/.exec(html.replaceAll('&#34;', '"'))?.[1]
    if (pageId === undefined) throw new Error('the page carries no page id')
    return pageId
}

/** The `name=value` part of a response's Set-Cookie, or `undefined`. */
export const setCookieOf = (response: Response) => response.headers.get('set-cookie')?.split(';')[0]

/** The session id in a session cookie's `name=value` (`<id>.<created>.<issued>.<signature>`). */
export const sessionIdOf = (cookie: string | undefined) => cookie?.split('=')[1]?.split('.')[0] ?? ''

/** The number in the counter fragment `<span id="count">N</span>`. */
export const countOf = async (response: Response) => Number(/>(-?\d+)</.exec(await response.text())?.[1])
