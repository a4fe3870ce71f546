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
/** Query parameter carrying the page id (form `action`s, Post/Redirect/Get targets). */
export const PAGE_PARAM = 'page_id'

/**
 * Whether `request` loads a document. `Sec-Fetch-Mode: navigate` is the browser's
 * own word for it; without Fetch Metadata (old browsers), a GET that accepts HTML
 * and is not an htmx request counts. curl, scripts and `fetch()` calls are not
 * page loads, so they keep using the session's default page scope.
 */
export const isPageLoad = (request: Request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false
    const headers = request.headers
    if (headers.get('hx-history-restore-request') === 'true') return true
    if (headers.get('hx-request') === 'true') return false
    const mode = headers.get('sec-fetch-mode')
    if (mode) return mode === 'navigate'
    const dest = headers.get('sec-fetch-dest')
    if (dest) return dest === 'document'
    return headers.get('accept')?.includes('text/html') === true
}

/** The page id the request names, unverified. */
export const requestedPageId = (request: Request) => {
    const header = request.headers.get(PAGE_HEADER)
    if (header) return header
    const url = request.url
    const query = url.indexOf('?')
    if (query === -1 || !url.includes(`${PAGE_PARAM}=`, query)) return undefined
    return new URLSearchParams(url.slice(query + 1)).get(PAGE_PARAM) ?? undefined
}

/** `path` carrying `pageId`: a form's `action`, or the target of its redirect. */
export const withPageId = (path: string, pageId: string) =>
    pageId ? `${path}${path.includes('?') ? '&' : '?'}${PAGE_PARAM}=${encodeURIComponent(pageId)}` : path
