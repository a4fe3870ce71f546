/**
 * One URL, two clients: htmx gets the HTML fragment to swap; a plain form post
 * (JavaScript off) gets a 303 back to its page, carrying the page id so the page
 * scope survives the round trip (Post/Redirect/Get). API clients such as curl
 * (no `Accept: text/html`, or no page id and no `Sec-Fetch-Mode: navigate`) get the fragment
 * too, as in the spec. Both send the same
 * fields (`fieldsOf`). After login or logout, both load a page afresh (`reload`).
 */
import type { Context } from 'elysia'
import { isHistoryRestore, PAGE_PARAM, StalePageError, withPageId } from '../plugins/scoped-state'
import { withBasePath } from './base-path'

export interface AnswerContext {
    request: Request
    set: Context['set']
    redirect: Context['redirect']
    scopedPageId: string
}

export const isHtmx = (request: Request) => request.headers.get('hx-request') === 'true'

/** The posted fields, whatever the body was (form, JSON, or none). */
export const fieldsOf = (body: unknown) =>
    body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}

/**
 * A browser loading a page, or posting a form with JavaScript off: it shows a whole page. So
 * does htmx's history restore, which swaps the answer for the whole `<body>` though it asks for
 * no HTML (`isHistoryRestore`).
 */
export const wantsPage = (request: Request) =>
    isHistoryRestore(request) || (!isHtmx(request) && request.headers.get('accept')?.includes('text/html') === true)

/** A plain form of a page: its action names the page (`ActionForm`). */
const namesPage = (request: Request) => request.url.includes(`${PAGE_PARAM}=`)

/** The request headers that choose between a fragment, a page and a redirect (`wantsPage`). */
export const VARY = 'HX-Request, Accept'

/** What pages and fragments are sent as. `utf-8`, the charset's registered name: the html plugin's default says `utf8`. */
export const HTML_TYPE = 'text/html; charset=utf-8'

/**
 * An `HX-Trigger` header naming `events`. A header holds Latin-1 only: Bun refuses any other
 * character (`Header 'hx-trigger' has invalid value`) when the response is made, after the plugin
 * saved the change, and the user is told that it failed. So the text of an event (a message in
 * Japanese, a search typed in Arabic) goes as JSON's `\u` escapes, which htmx's `JSON.parse` reads back.
 * @example set.headers['hx-trigger'] = triggerHeader({ 'theme-changed': { theme } })
 */
export const triggerHeader = (events: Record<string, unknown>) =>
    JSON.stringify(events).replace(/[^\x20-\x7e]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * A route's path as a `Location` or `HX-Redirect` header may hold it: a header is Latin-1 only,
 * and Bun refuses another character (a path in Japanese, `/カート`) after the action's change was
 * saved. Elysia matches the encoded path the browser then asks for to the route as declared.
 * Only what a header cannot carry is encoded, as a browser's address bar does: a path taken from a
 * URL (a `returnTo`) comes encoded already, and `encodeURI` would turn its `%20` into `%2520`.
 */
const pageAddress = (page: string) =>
    withBasePath(page).replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run.toWellFormed()))

/**
 * Whether `answer` will redirect to a page in this request's page scope: a form post from a
 * page of the current session. A message kept in that scope now is shown by the page the
 * redirect loads (RECIPES: a message for the next page); htmx users hear the fragment's instead.
 */
export const redirectsInPage = (context: AnswerContext) => wantsPage(context.request) && context.scopedPageId !== ''

/**
 * A plain form from a page whose session ended (signed in or out in another tab, expired): its
 * change ran in another session than the page showed, a new visitor's (a count there was lost
 * without a word) or the next person's after a sign-in. `answer` refuses it after the action, which
 * discards the action's state changes; an action that writes anywhere else checks this first.
 * htmx, whose answer shows its result in place, is refused by the plugin only the page's own values.
 */
export const fromEndedPage = ({ request, scopedPageId }: Pick<AnswerContext, 'request' | 'scopedPageId'>) =>
    !scopedPageId && wantsPage(request) && namesPage(request)

/**
 * Call after the action: renders `fragment` for htmx and API clients, or redirects a form post
 * to `page`, a route's path (`BASE_PATH` is added here). To land on a part of the page, give the
 * form's action the `#fragment` (`ActionForm`'s `anchor`): browsers keep it across the redirect,
 * and on a refusal's page too. A form from a page whose session ended is refused
 * (`fromEndedPage`): the throw discards what the action changed in `scopedStore`.
 */
export const answer = <T>(context: AnswerContext, page: string, fragment: () => T) => {
    const { request, scopedPageId } = context
    context.set.headers.vary = VARY
    if (!wantsPage(request)) return fragment()
    // Thrown, its change is not saved, and the user is told.
    if (fromEndedPage(context)) throw new StalePageError()
    // A script asking for HTML is in the session's default scope, which the page load after a
    // redirect would start over.
    if (!scopedPageId && request.headers.get('sec-fetch-mode') !== 'navigate') return fragment()
    return context.redirect(withPageId(pageAddress(page), scopedPageId), 303)
}

/**
 * Call after the session changed its id (login) or ended (logout): the page's id belonged to
 * the old session, so the browser loads `page` (a route's path, as for `answer`) afresh. htmx
 * gets `HX-Redirect`: a 303 it would follow inside `fetch()` and swap the whole page into its
 * target.
 */
export const reload = ({ request, set, redirect }: Omit<AnswerContext, 'scopedPageId'>, page: string) => {
    set.headers.vary = VARY
    const address = pageAddress(page)
    if (!isHtmx(request)) return redirect(address, 303)
    set.headers['hx-redirect'] = address
    return ''
}

/**
 * The GET route of an action's address. Without JavaScript, a refusal or an error page answering a
 * form is shown at the form's address, which the browser may ask for again by GET (Enter in the
 * address bar, a bookmark, a tab opened from it): it loads `page` (a route's path, as for `answer`)
 * with the `page_id` that address names, so that the page shows what that scope holds (a count),
 * where a 404 said there was no page.
 * @example .get('/cart/items', backToPage('/cart')).post('/cart/items', …)
 */
export const backToPage =
    (page: string) =>
    ({ request, redirect }: Pick<AnswerContext, 'request' | 'redirect'>) =>
        redirect(withPageId(pageAddress(page), URL.parse(request.url)?.searchParams.get(PAGE_PARAM) ?? ''), 303)

/**
 * Call when the action was refused with `status` (404, 422…): htmx and API clients get
 * `fragment`; a form post gets the whole `page` with the message in place (no redirect,
 * so the refused input is still there to correct). It returns rather than throws, so what the
 * request changed before it is saved (GUIDE: what a request saves): refuse before changing state.
 */
export const refuse = <T>(context: AnswerContext, status: number, page: () => T, fragment: () => T) => {
    context.set.headers.vary = VARY
    context.set.status = status
    return wantsPage(context.request) ? page() : fragment()
}
