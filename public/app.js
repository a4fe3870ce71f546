/**
 * The page's script besides htmx, served as it is: applies a theme change at once; says in the
 * alert region why a request failed where the app could not (no answer, a proxy's error, cookies
 * blocked); after a swap, shows the saved values in the fields not being typed in, and keeps
 * keyboard focus on the region it updated.
 */
// Typechecked with `bun run typecheck` (package.json).
/**
 * What htmx 4 gives its events as `detail` (the parts read here).
 * @typedef {{ target?: HTMLElement | null, response?: Response, request?: Request, text?: string, sourceEvent?: Event, failuresBefore?: number }} HtmxContext
 * @typedef {CustomEvent<{ ctx: HtmxContext, error?: unknown }>} HtmxEvent
 */
/** @param {Event} event */
const htmxDetail = (event) => /** @type {HtmxEvent} */ (event).detail

// Applies a theme change at once: the server answers a theme switch with an
// `HX-Trigger: {"theme-changed": {"theme": "dark"}}` header.
document.addEventListener('theme-changed', (event) => {
    document.documentElement.dataset.theme = /** @type {CustomEvent<{ theme: string }>} */ (event).detail.theme
})

// How many requests have failed: a success clears only a message older than itself (below).
let failures = 0
// Whether a request the user started failed, with none they started since answered: a request
// they did not start (a poll's `every 2s`, a `load`) then leaves the message, the only sign that
// a click was lost.
let lostClick = false

/**
 * A click, a submit or a key: events the browser dispatched for the user. htmx dispatches a
 * poll's own (`every`), which is not trusted.
 * @param {HtmxContext} ctx
 */
const startedByUser = (ctx) => ctx.sourceEvent?.isTrusted === true

/** @param {HtmxContext} ctx */
const countFailure = (ctx) => {
    failures++
    if (startedByUser(ctx)) lostClick = true
}

/**
 * An error notice for the alert region.
 * @param {string} text
 */
const errorNotice = (text) => {
    const notice = document.createElement('p')
    notice.className = 'notice notice-error'
    notice.textContent = text
    return notice
}

// With the browser blocking this site's cookies, the session cookie never comes back: each
// request starts a session of its own, so adding to the cart, switching the theme or signing
// in seems to work, and is gone at the next click or page. Say so, and keep saying it: the
// alert region's other messages come and go below it.
// (Chromium reports `navigator.cookieEnabled` as true even then: a cookie written and read back tells.)
const refusesCookies = () => {
    if (!navigator.cookieEnabled) return true
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is async and newer; this runs before first paint
    document.cookie = 'cookie_check=1; Path=/; SameSite=Strict'
    const kept = document.cookie.split('; ').includes('cookie_check=1')
    // biome-ignore lint/suspicious/noDocumentCookie: as above
    document.cookie = 'cookie_check=; Path=/; Max-Age=0; SameSite=Strict'
    return !kept
}
const cookiesBlocked = refusesCookies()
    ? errorNotice(
          'Your browser is blocking cookies for this site, so nothing you do here is kept: the cart, the theme and signing in are lost at the next click or page. Allow cookies for this site, then reload.'
      )
    : undefined
// `ALERTS_ID` in views/alerts.tsx, which this script, served as it is, cannot import.
const alerts = document.getElementById('alerts')
/** @param {...Node} notices */
const showAlert = (...notices) => alerts?.replaceChildren(...(cookiesBlocked ? [cookiesBlocked] : []), ...notices)
if (cookiesBlocked) showAlert()
// An error the app answers into the region (`HX-Retarget`, swapped as its inner HTML) replaces what
// the region held: the notice goes back above it, as that error's cause too.
if (cookiesBlocked && alerts)
    new MutationObserver(() => {
        if (!cookiesBlocked.isConnected) alerts.prepend(cookiesBlocked)
    }).observe(alerts, { childList: true })

/**
 * A request that failed without a message from the app: says why in the alert region.
 * @param {HtmxContext} ctx
 * @param {string} message
 */
const tellFailure = (ctx, message) => {
    countFailure(ctx)
    showAlert(errorNotice(message))
}

// A request that got no answer from the app (offline, the server down or restarting, a
// timeout): to try again, not to reload, which would start the page's scope over (the counter at 0).
// A GET (a poll, a tab) changes nothing: only what the page shows may be behind.
/** @param {HtmxContext} ctx */
const tellUnreachable = (ctx) =>
    tellFailure(
        ctx,
        ctx.request?.method === 'GET'
            ? 'The server could not be reached, so this page was not updated. Check your connection, then try again.'
            : 'The server could not be reached, so this may not have been saved. Check your connection, then try again.'
    )

// A request that succeeds clears the message a failed one left in the alert region, if the
// user started it after that failure: a click already queued behind the failed one (a
// double-click) would otherwise wipe the message at once, and with it the only sign that a
// click was lost. A request the user did not start clears only the failure of another such.
document.addEventListener('htmx:config:request', (event) => {
    htmxDetail(event).ctx.failuresBefore = failures
})
document.addEventListener('htmx:after:request', (event) => {
    const { ctx } = htmxDetail(event)
    const status = ctx.response?.status ?? 0
    // Every answer the app writes names HX-Request in Vary (server/security.ts): its errors are
    // swapped, as htmx 4 does, a refusal into the target and a failure into the alert region
    // (HX-Retarget). An error without it was written before the app: swapped, it would take the
    // place of what the next click updates, and that click's answer would be dropped. Such are a
    // proxy's 502 while the app restarts, a rate limit's 429 on quick clicks, and a proxy's 413
    // for a body over its limit (nginx's client_max_body_size).
    const headers = ctx.response?.headers
    const notTheApps =
        status >= 400 && !headers?.get('hx-retarget') && !/\bhx-request\b/i.test(headers?.get('vary') ?? '')
    if (notTheApps) {
        event.preventDefault()
        if (status >= 500) tellUnreachable(ctx)
        else if (status === 413)
            tellFailure(
                ctx,
                'That is too large for the server to accept, so nothing was saved. Send less, then try again.'
            )
        else tellFailure(ctx, 'The server refused this request, so nothing was saved. Wait a moment, then try again.')
    } else if (!(status > 0 && status < 400)) countFailure(ctx)
    else if (ctx.failuresBefore === failures && (startedByUser(ctx) || !lostClick)) {
        lostClick = false
        showAlert()
    }
})

// Unanswered: a request that was answered was told by the app, and other errors are the
// page's own, which htmx logs.
document.addEventListener('htmx:error', (event) => {
    const { ctx, error } = htmxDetail(event)
    const unanswered = error instanceof TypeError || ctx?.request?.signal?.reason === 'timeout'
    if (!ctx || ctx.text !== undefined || !unanswered) return
    tellUnreachable(ctx)
})

// A morph keeps what a field shows when its value attribute did not change: a quantity typed
// for a change that never reached the server would stay next to the state it never became.
// The answer shows what is saved; only the field being typed in is left alone.
document.addEventListener('htmx:after:swap', (event) => {
    const region = htmxDetail(event).ctx?.target
    if (!region?.isConnected) return
    const fields = /** @type {NodeListOf<HTMLInputElement>} */ (
        region.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio])')
    )
    for (const field of fields) if (field !== document.activeElement) field.value = field.defaultValue
})

// A swap that removed the focused control (Remove, Clear cart) would leave keyboard users
// on <body>, at the top of the page: they go on from the region that was updated instead.
// Such a region renders tabindex="-1" (#cart): one added here would go with the region's next
// morph, and focus with it. A region swapped `outerHTML` (a row's Edit and Cancel) is found
// again by its id; one that takes no focus passes it to its first control.
const CONTROLS =
    'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled])'
/** @type {Element | null} */
let focusedBeforeSwap = null
document.addEventListener('htmx:before:swap', () => {
    focusedBeforeSwap = document.activeElement
})
document.addEventListener('htmx:after:swap', (event) => {
    const target = htmxDetail(event).ctx?.target
    const lost = focusedBeforeSwap?.isConnected === false
    focusedBeforeSwap = null
    if (!lost || !target || document.activeElement !== document.body) return
    const region = target.isConnected ? target : target.id ? document.getElementById(target.id) : null
    region?.focus({ preventScroll: true })
    if (document.activeElement === document.body)
        /** @type {HTMLElement | null | undefined} */ (region?.querySelector(CONTROLS))?.focus({ preventScroll: true })
})

// The alert region sticks below the header (styles.css): what focus scrolls to stops below the
// message too, or a keyboard user going back up the page would land under it.
if (alerts)
    new ResizeObserver(() => {
        document.documentElement.style.setProperty('--alerts-space', `${alerts.offsetHeight}px`)
    }).observe(alerts)
