/**
 * What a request that failed answers: the session store down, a write that collided, a
 * bug. htmx gets the message in the page's alert region, with the error status: htmx 4
 * swaps error responses into the request's target, and a counter replaced by "Session
 * store unavailable" would leave nothing for the next click to update. A bug is logged
 * here and answered without its message, which may name files and hosts. Other errors
 * keep their own answer for other clients (a plain form post, curl).
 */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { ScopedStateError, StoreUnavailableError } from '../plugins/scoped-state'
import { ALERTS_ID, Alert } from '../views/alerts'
import { isHtmx } from './respond'

/** What the user is told: never the error's internals. */
const messageOf = (error: unknown, status: number) => {
    if (error instanceof StoreUnavailableError)
        return 'Your session is unavailable at the moment. Nothing was changed; please try again shortly.'
    // 409 (a collision) and 413 (state too large) are written for the user.
    if (error instanceof ScopedStateError && status < 500) return error.message
    if (status === 404) return 'This action no longer exists. Reload the page.'
    if (status < 500) return 'The request was refused. Nothing was changed.'
    return 'Something went wrong. Nothing was changed; please try again.'
}

/** The error's own status (Elysia's errors and the plugin's have one), else the one set, else 500. */
const statusOf = (error: unknown, set: { status?: number | string }) => {
    const own = (error as { status?: unknown }).status
    if (typeof own === 'number') return own
    return typeof set.status === 'number' && set.status >= 400 ? set.status : 500
}

export const errors = new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ error, request, set }) => {
    const status = statusOf(error, set)
    const bug = status >= 500 && !(error instanceof StoreUnavailableError)
    if (bug) console.error(error)
    if (isHtmx(request)) {
        set.status = status
        Object.assign(set.headers, {
            'content-type': 'text/html; charset=utf-8',
            'hx-retarget': `#${ALERTS_ID}`,
            'hx-reswap': 'innerHTML',
            vary: 'HX-Request'
        })
        if (error instanceof StoreUnavailableError) set.headers['retry-after'] = '1'
        return <Alert message={messageOf(error, status)} />
    }
    if (!bug) return
    set.status = 500
    set.headers['content-type'] = 'text/plain; charset=utf-8'
    return 'Internal Server Error'
})
