/**
 * Which page scope a request belongs to.
 *
 * A document load (refresh, typed URL, plain link, htmx history restore) starts a
 * fresh page scope: that is how non-preserved state "resets when users refresh the
 * page or navigate away", on the server, with no `beforeunload` script. The page
 * then sends its page id with its own requests: htmx through the `X-Page-Id`
 * header, plain forms and redirects through the `page_id` query parameter.
 */

/** Request header carrying the page id (set it with `hx-headers:inherited` on `<body>`). */
export const PAGE_HEADER = 'x-page-id'
/**
 * Query parameter carrying the page id for browser navigations: form `action`s (a hidden
 * field of a GET form, whose `action` loses its query) and Post/Redirect/Get targets. Read
 * only from requests that accept HTML, as browsers' navigations do; scripts send
 * {@link PAGE_HEADER}.
 */
export const PAGE_PARAM = 'page_id'

/** Browsers ask for HTML when they navigate (htmx does too); API calls and scripts rarely do. */
const acceptsHtml = (headers: Headers) => headers.get('accept')?.includes('text/html') === true

/**
 * htmx's history restore: Back or Forward to an entry htmx pushed fetches the page again and
 * swaps the whole `<body>`, its attributes too. htmx 4.0.1 sends it without `HX-Request` and
 * `Accept: text/html`, but with the page's own headers (`hx-headers` on `<body>`): the id of
 * the page it replaces, not of the one it loads. Exported for apps, which must answer it with
 * a whole page though it asks for none.
 */
export const isHistoryRestore = (request: Request) => request.headers.get('hx-history-restore-request') === 'true'

/**
 * Whether `request` loads a document: a GET (or HEAD) that accepts HTML, is not an htmx request,
 * and that the browser marks `Sec-Fetch-Mode: navigate` (old browsers without Fetch
 * Metadata: any such GET); or htmx's history restore, which renders the page anew. curl,
 * scripts and `fetch()` calls are not page loads, so they keep using the session's
 * default page scope.
 */
export const isPageLoad = (request: Request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false
    const headers = request.headers
    const accept = headers.get('accept')
    // Without an Accept header, an API call (load tools, some scripts), told by one header read.
    if (!accept) return false
    if (!accept.includes('text/html') || headers.get('hx-request') === 'true') return isHistoryRestore(request)
    const mode = headers.get('sec-fetch-mode')
    if (mode) return mode === 'navigate'
    const dest = headers.get('sec-fetch-dest')
    return dest ? dest === 'document' : true
}

/**
 * On htmx's history restore, the id of the page whose `<body>` it replaces, unverified: once
 * restored, no document sends it any more, so its scope only takes one of `maxPages`. (Unless
 * another tab opened an address carrying it: GUIDE.md, "Preserve and page scopes".)
 */
export const replacedPageId = (request: Request) =>
    isHistoryRestore(request) ? request.headers.get(PAGE_HEADER) || undefined : undefined

/**
 * The page id the request names, unverified: the header, or for a browser navigation
 * (a plain form, a redirect: they ask for HTML) the query parameter. Other requests
 * never build the URL, which costs as much as the rest of the session lookup.
 */
export const requestedPageId = (request: Request) => {
    const headers = request.headers
    const header = headers.get(PAGE_HEADER)
    if (header && !isHistoryRestore(request)) return header
    if (!acceptsHtml(headers)) return undefined
    const url = request.url
    const query = url.indexOf('?')
    if (query === -1 || !url.includes(`${PAGE_PARAM}=`, query)) return undefined
    return new URLSearchParams(url.slice(query + 1)).get(PAGE_PARAM) ?? undefined
}

/**
 * `path` carrying `pageId`: a form's `action`, or the target of its redirect. A `#fragment`
 * stays last: browsers send no part of it, so a page id after it would never reach the server.
 */
export const withPageId = (path: string, pageId: string) => {
    if (!pageId) return path
    const hash = path.indexOf('#')
    const [address, fragment] = hash === -1 ? [path, ''] : [path.slice(0, hash), path.slice(hash)]
    return `${address}${address.includes('?') ? '&' : '?'}${PAGE_PARAM}=${encodeURIComponent(pageId)}${fragment}`
}
