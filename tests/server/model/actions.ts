/**
 * The actions of the model-based test: for each, the request (path and fields, drawn at
 * random) and, given the fields as the server parsed them, what the reference model says
 * must happen: a change and what the answer then shows, a refusal with its status and
 * message, a page out of date (409), or a fresh page load (sign-in, sign-out, start over).
 */

import { badgeOf, cartOf, countOf, escaped, pageThemeOf, pickedThemeOf, signedInOf } from './observe'
import type { Random } from './random'
import * as input from './random'
import type { Person } from './reference'
import * as model from './reference'

/** Compares one observed value with the model's; throws with both. */
export const eq = (what: string, actual: unknown, expected: unknown) => {
    if (!Bun.deepEquals(actual, expected))
        throw new Error(`${what}: app ${JSON.stringify(actual)}, model ${JSON.stringify(expected)}`)
}

/** Checks an answer's HTML (fragment or page) against the model, after the change. */
export type Check = (html: string, whole: boolean) => void

export type Outcome =
    | { kind: 'ok'; check: Check; htmxTrigger?: string }
    | { kind: 'refused'; status: number; message: string; check: Check }
    | { kind: 'stale' }
    | { kind: 'reload'; newSession: boolean; check: Check }

export interface Action {
    name: string
    path: string
    fields: Record<string, unknown>
    /** Where a form's 303 leads. */
    page: string
    /** A page id the action runs in, `undefined` for a script; decides the count's scope. */
    outcome: (parsed: Record<string, unknown>, p: Person, pageId: string | undefined) => Outcome
}

/** The cart, its total and the badge show the model's cart. */
export const cartShown = (p: Person) => (html: string) => {
    const shown = cartOf(html)
    eq('cart lines', shown.lines, p.cart)
    eq('cart total', shown.totalCents, model.totalCents(p.cart))
    eq('badge', badgeOf(html), model.itemCount(p.cart))
}

/** What every whole page shows of the preserved keys: the theme and the badge. */
export const shellShown = (p: Person, html: string) => {
    eq('page theme', pageThemeOf(html), p.theme)
    eq('badge on page', badgeOf(html), model.itemCount(p.cart))
}

const cartAction = (
    name: string,
    path: string,
    fields: Record<string, unknown>,
    change: (p: Person, parsed: Record<string, unknown>) => model.CartResult
): Action => ({
    name,
    path,
    fields,
    page: '/cart',
    outcome: (parsed, p) => {
        const result = change(p, parsed)
        if ('status' in result) return { ...result, kind: 'refused', check: cartShown(p) }
        p.cart = result.cart
        return { kind: 'ok', check: cartShown(p) }
    }
})

/** A product id in a path, with the id the server decodes from it. */
const productPath = (r: Random) => {
    if (r.chance(0.03)) return { segment: '%E0%A4%A', id: '' }
    let id = input.productId(r)
    if (id === '') id = 'mug'
    return { segment: encodeURIComponent(id), id }
}

const counterAction = (name: 'increment' | 'decrement' | 'reset' | 'full-reset'): Action => ({
    name,
    path: `/api/${name}`,
    fields: {},
    page: '/counter',
    outcome: (_parsed, p, pageId) => {
        const count = model.counter(p, pageId)
        // Over htmx, a full reset works from a page whose session ended, as logging out does (plugin GUIDE.md);
        // a plain form from such a page is refused (server/respond.ts).
        if (name === 'full-reset') model.fullReset(p)
        else if (!count) return { kind: 'stale' }
        else count.put(name === 'reset' ? 0 : count.get() + (name === 'increment' ? 1 : -1))
        // A reset starts the page's scope over: a message it kept goes too.
        if (name === 'reset' && pageId !== undefined) model.takeNotice(p, pageId)
        const expected = count?.get() ?? 0
        const check: Check = (html, whole) => {
            // A whole page shows its own scope's count, which loading it checked (run.ts).
            if (whole) shellShown(p, html)
            else eq(`count after ${name}`, countOf(html), expected)
            // Over htmx the full reset's fragment carries the badge too (scripts get only the count).
            if (!whole && name === 'full-reset' && html.includes('cart-badge'))
                eq('badge after full reset', badgeOf(html), 0)
        }
        return { kind: 'ok', check, htmxTrigger: name === 'full-reset' ? 'system' : undefined }
    }
})

/** Draws the next action; `json` when a script sends a JSON body (any JSON value in a field). */
export const draw = (r: Random, json: boolean): Action => {
    const roll = r.next()
    if (roll < 0.22) {
        const fields = { productId: input.productId(r), quantity: input.quantity(r, json) }
        return cartAction('add', '/cart/items', fields, (p, f) => model.add(p.cart, f.productId, f.quantity))
    }
    if (roll < 0.34) {
        const { segment, id } = productPath(r)
        const fields = { quantity: input.quantity(r, json) }
        return cartAction(`set ${id}`, `/cart/items/${segment}`, fields, (p, f) => model.set(p.cart, id, f.quantity))
    }
    if (roll < 0.4) {
        const { segment, id } = productPath(r)
        return cartAction(`remove ${id}`, `/cart/items/${segment}/remove`, {}, (p) => model.remove(p.cart, id))
    }
    if (roll < 0.43) return cartAction('clear', '/cart/clear', {}, () => ({ cart: [] }))
    if (roll < 0.55) return themeAction({ theme: input.theme(r, json) })
    if (roll < 0.82)
        return counterAction(r.pick(['increment', 'increment', 'decrement', 'reset', 'full-reset'] as const))
    if (roll < 0.95) return signInAction({ name: input.name(r, json), remember: input.remember(r, json) })
    if (roll < 0.98) return signOutAction()
    return startOverAction()
}

const themeAction = (fields: Record<string, unknown>): Action => ({
    name: 'theme',
    path: '/theme',
    fields,
    page: '/theme',
    outcome: (parsed, p) => {
        const result = model.theme(parsed.theme)
        const check: Check = (html, whole) => {
            eq('picked theme', pickedThemeOf(html), p.theme)
            if (whole) shellShown(p, html)
        }
        if ('status' in result) return { ...result, kind: 'refused', check }
        p.theme = result.theme
        return { kind: 'ok', check, htmxTrigger: result.theme }
    }
})

const signInAction = (fields: Record<string, unknown>): Action => ({
    name: 'sign in',
    path: '/account/sign-in',
    fields,
    page: '/account',
    outcome: (parsed, p) => {
        const result = model.signInName(parsed.name)
        if ('status' in result) {
            const typed = typeof parsed.name === 'string' ? parsed.name : ''
            const check: Check = (html, whole) => {
                // The name as typed stays in its field, to correct: escaped, and a lone surrogate (from JSON)
                // as U+FFFD, the one way UTF-8 can send it.
                if (typed !== '') {
                    const shown = escaped(typed.toWellFormed())
                    eq(`typed name ${JSON.stringify(typed)} kept`, html.includes(`value="${shown}"`), true)
                }
                eq('signed in on a refusal', signedInOf(html), undefined)
                if (whole) shellShown(p, html)
            }
            return { ...result, kind: 'refused', check }
        }
        const newSession = model.signIn(p, result.name, parsed.remember === 'on')
        const check: Check = (html) => {
            eq('signed in as', signedInOf(html), escaped(p.username))
            shellShown(p, html)
        }
        return { kind: 'reload', newSession, check }
    }
})

const signOutAction = (): Action => ({
    name: 'sign out',
    path: '/account/sign-out',
    fields: {},
    page: '/account',
    outcome: (_parsed, p) => {
        model.signOut(p)
        const check: Check = (html) => {
            eq('signed in after sign-out', signedInOf(html), undefined)
            shellShown(p, html)
        }
        return { kind: 'reload', newSession: true, check }
    }
})

/** The error page's way out (server/routes/start-over.ts): every key goes, the session stays, the home page loads. */
const startOverAction = (): Action => ({
    name: 'start over',
    path: '/start-over',
    fields: {},
    page: '/',
    outcome: (_parsed, p) => {
        model.fullReset(p)
        return { kind: 'reload', newSession: false, check: (html) => shellShown(p, html) }
    }
})
