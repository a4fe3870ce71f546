/**
 * One URL, two clients: htmx gets the HTML fragment to swap; a plain form post
 * (JavaScript off) gets a 303 back to its page, carrying the page id so the page
 * scope survives the round trip (Post/Redirect/Get). API clients such as curl
 * (no `Accept: text/html`) get the fragment too, as in the spec.
 */
import type { Context } from 'elysia'
import { withPageId } from '../plugins/scoped-state'

interface AnswerContext {
    request: Request
    set: Context['set']
    redirect: Context['redirect']
    scopedPageId: string
}

export const isHtmx = (request: Request) => request.headers.get('hx-request') === 'true'

/** Call after the action: renders `fragment` for htmx and API clients, or redirects a form post to `page`. */
export const answer = <T>(context: AnswerContext, page: string, fragment: () => T) => {
    context.set.headers.vary = 'HX-Request'
    const { request } = context
    if (isHtmx(request) || !request.headers.get('accept')?.includes('text/html')) return fragment()
    return context.redirect(withPageId(page, context.scopedPageId), 303)
}
