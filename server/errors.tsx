/**
 * What a request that failed answers: an unknown address, the session store down, a
 * write that collided, a bug. Each keeps its status, and its message names no internals;
 * a bug is logged here, since its own message may name files and hosts.
 * - htmx gets the message in the page's alert region: htmx 4 swaps error responses into
 *   the request's target, and a counter replaced by "Session store unavailable" would
 *   leave nothing for the next click to update.
 * - A browser loading a page or posting a form without JavaScript gets a whole page.
 * - Other clients (curl, scripts) keep the error's own answer; a bug's is replaced by its status's name.
 * The handler's htmx instructions (a redirect, an event) and caching (`Cache-Control`, an ETag)
 * are not sent: every error is `no-store`. Nor is a new session cookie, which the plugin sends
 * only after a successful save.
 */
import { Html } from '@kitajs/html'
import { type Context, Elysia, ElysiaCustomStatusResponse, InvertedStatusMap, StatusMap } from 'elysia'
import {
    CollisionError,
    ScopedStateError,
    SessionEndedError,
    StalePageError,
    StoreUnavailableError,
    UnreadableStateError
} from '../plugins/scoped-state'
import { ALERTS_ID, Alert } from '../views/alerts'
import { ErrorPage } from '../views/error-page'
import { HTML_TYPE, isHtmx, VARY, wantsPage } from './respond'

/**
 * 503 is the session that cannot be served now, not a bug: its store is down, or newer
 * instances saved it during a deploy (the plugin's two 503s). A retry soon may succeed.
 */
const UNAVAILABLE = 503

/** The headers of a route's caching, replaced on its error answers. */
const CACHING = new Set(['cache-control', 'etag', 'last-modified', 'expires'])

/** What the operator's log says of state saved by a newer version, before the user's message. */
const NEWER_STATE =
    'State saved by a newer version of the app was refused: a deploy under way, or a rollback, after which ' +
    'its users get 503 until they start over.'

/** What the user is told, as a page title and a message. */
const explain = (error: unknown, status: number, page: boolean, changing: boolean) => {
    // The store got the save and gave no answer: it may have applied it, and a retry would do it twice.
    // So would reloading a plain form's answer, which posts the form again: the menu loads the page afresh.
    // Nor an htmx page: reloaded, it starts its own values over (the counter at 0, a draft emptied).
    if (changing && error instanceof StoreUnavailableError && error.unanswered)
        return {
            title: 'Not confirmed',
            message: `The session store did not answer in time, so your change may or may not have been saved. ${
                page
                    ? 'Open the page again from the menu to see where things stand: reloading this one would send the change again.'
                    : 'The answer to your next change will show where things stand.'
            }`
        }
    // Saved by a newer version (a rolling deploy, a rollback), or a failing migrate: the user's way out is to start over.
    if (error instanceof UnreadableStateError) {
        // A page shows the Start over button; an htmx click's alert points to that page.
        const way = page
            ? 'start over, which clears everything this site saved for you'
            : 'reload the page to start over'
        return {
            title: 'Saved session unreadable',
            message: `Your saved session cannot be read by this version of the app. Nothing was changed. Try again shortly, or ${way}.`
        }
    }
    if (status === UNAVAILABLE)
        return {
            title: 'Session unavailable',
            message: 'Your session is unavailable at the moment. Nothing was changed; please try again shortly.'
        }
    // Reloading a plain form's answer would post its out-of-date page id again: the menu loads the page afresh.
    if (error instanceof StalePageError)
        return {
            title: 'Page out of date',
            message: page
                ? `This page is out of date: its session has ended (signed in or out, or expired).${
                      changing ? ' Your change was not saved.' : ''
                  } Open the page again from the menu; if this comes back, your browser is refusing cookies from this site (cookies blocked, or the site served over plain http).`
                : error.cookieMissing
                  ? "This page is out of date: its session cookie did not come with the request (signed out, expired, or refused by your browser). Reload it; if this message returns, your browser is refusing this site's cookie (cookies blocked, or the site served over plain http)."
                  : 'This page is out of date: its session has ended (signed in or out, or expired). Reload it.'
        }
    // The plugin's 413 counts bytes, for the developer.
    if (error instanceof ScopedStateError && status === 413)
        return {
            title: 'Not saved',
            message: 'That is more than your session can hold, so it was not saved. Remove something and try again.'
        }
    // Its other 409s, worded here as every message the user sees, so that an app has one place to
    // translate them: the plugin's own messages are English.
    if (error instanceof CollisionError)
        return {
            title: 'Not saved',
            message: 'Another request changed the same state at the same time; nothing was saved. Please try again.'
        }
    // A plain form's answer reloaded would post the form again: the menu loads the page afresh.
    if (error instanceof SessionEndedError)
        return {
            title: 'Not saved',
            message: `This session has ended (signed in or out, or expired); nothing was saved. ${
                page
                    ? 'Open the page again from the menu; if this comes back, wait a minute, then open it again.'
                    : 'Reload the page; if this comes back, wait a minute, then reload.'
            }`
        }
    if (status === 404)
        return {
            title: 'Page not found',
            message: page ? 'There is no page at this address.' : 'This action no longer exists. Reload the page.'
        }
    // An access check's refusal (`throw status(403)`): a page the user may not see, or an action they may not take.
    if (status === 403)
        return {
            title: 'Not allowed',
            message: changing
                ? 'You are not allowed to do this. Nothing was changed.'
                : 'You are not allowed to see this page.'
        }
    if (status < 500) return { title: 'Request refused', message: 'The request was refused. Nothing was changed.' }
    return { title: 'Something went wrong', message: 'Something went wrong. Nothing was changed; please try again.' }
}

/** What a browser is told of an unsafe request refused as cross-site (`server/security.ts`). */
export const CROSS_SITE_REFUSED = {
    title: 'Request refused',
    message: 'This request was refused as coming from another site. Nothing was changed.'
}

/** What a browser is told of a body over the limit (`server/security.ts`): as `public/app.js` words a proxy's 413. */
export const TOO_LARGE = {
    title: 'Too large',
    message: 'That is too large for the server to accept, so nothing was saved. Send less, then try again.'
}

/**
 * An error answer as a browser shows it: htmx gets `message` in the page's alert region, a
 * page load or a form without JavaScript a whole page. The doctype is written here: an
 * answer given before routing (security.ts) gets none from the html plugin.
 */
export const shownError = (
    request: Request,
    set: Context['set'],
    { title, message, startOver = false }: { title: string; message: string; startOver?: boolean }
) => {
    set.headers['content-type'] = HTML_TYPE
    set.headers.vary = VARY
    if (!isHtmx(request)) return `<!doctype html>${<ErrorPage title={title} message={message} startOver={startOver} />}`
    set.headers['hx-retarget'] = `#${ALERTS_ID}`
    set.headers['hx-reswap'] = 'innerHTML'
    return <Alert message={message} />
}

/**
 * The error's own status (Elysia's errors and the plugin's have one; `throw status(403)`, which the
 * plugin GUIDE advises for a refusal that must discard the request's changes, has it as `code`),
 * else the one set, else 500.
 */
const statusOf = (error: unknown, set: { status?: number | string }) => {
    if (error instanceof ElysiaCustomStatusResponse && typeof error.code === 'number') return error.code
    const own = (error as { status?: unknown }).status
    // Any error may carry a `status` of its own meaning (600, 500.5): no response can have it, and
    // answering with it would throw instead (a RangeError, with no error page).
    if (typeof own === 'number') return Number.isInteger(own) && own >= 200 && own <= 599 ? own : 500
    // Elysia takes a status by its name as well (`set.status = 'Conflict'`).
    const setStatus = typeof set.status === 'string' ? StatusMap[set.status as keyof typeof StatusMap] : set.status
    return typeof setStatus === 'number' && setStatus >= 400 ? setStatus : 500
}

/**
 * `reportUnavailable` hears of each request answered 503 (see counted-log.ts): the store failed,
 * or the state was saved by a newer version of the app, which after a rollback lasts until
 * those users start over. `reportBug` hears of each error answered 500 (see bug-log.ts).
 */
export const errors = (reportUnavailable: (error: Error) => void, reportBug: (error: unknown) => void) =>
    new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ error, request, set }) => {
        const status = statusOf(error, set)
        const bug = status >= 500 && status !== UNAVAILABLE
        if (bug) reportBug(error)
        if (error instanceof StoreUnavailableError) reportUnavailable(error)
        // Its message is the user's; the operator is told what it means for them.
        else if (error instanceof UnreadableStateError && status === UNAVAILABLE)
            reportUnavailable(new Error(`${NEWER_STATE} ${error.message}`))
        // The handler's htmx instructions (HX-Redirect, HX-Trigger) announced a success, and
        // htmx 4 follows them on an error response too. So did its caching (an ETag, a max-age),
        // set before it threw or before the plugin's save failed: a copy of the error kept in its
        // place would be shown, or revalidated as current, after the failure has passed.
        for (const name in set.headers) {
            const lower = name.toLowerCase()
            if (lower.startsWith('hx-') || CACHING.has(lower)) delete set.headers[name]
        }
        set.headers['cache-control'] = 'no-store'
        const htmx = isHtmx(request)
        if (htmx || wantsPage(request)) {
            set.status = status
            const changing = request.method !== 'GET' && request.method !== 'HEAD'
            // Not for a write the store may have applied: a client that obeys it would apply it twice.
            const unanswered = changing && error instanceof StoreUnavailableError && error.unanswered
            if (status === UNAVAILABLE && !unanswered) set.headers['retry-after'] = '1'
            const startOver = error instanceof UnreadableStateError
            return shownError(request, set, { ...explain(error, status, !htmx, changing), startOver })
        }
        if (!bug) return
        // Its status as htmx and pages get it (a 502 the handler set before it threw), but not its message.
        set.status = status
        set.headers['content-type'] = 'text/plain; charset=utf-8'
        return InvertedStatusMap[status as keyof typeof InvertedStatusMap] ?? 'Internal Server Error'
    })
