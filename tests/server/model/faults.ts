/**
 * Store faults inside the demo app's model test: a store wrapper (the memory store inside) that,
 * by a seeded stream of its own, makes one call of a request fail: `down` before it acts, or a
 * write that ran (`unanswered`) or did not (`unsent`) and lost its answer. What the model then
 * expects, from server/errors.tsx, plugins/scoped-state/store.ts and the engine's comments:
 * - the request answers 503 with no new cookie and none of the handler's htmx instructions;
 *   htmx gets the message in the alert region, a page load or a no-JS form a whole error page,
 *   a script the error's own answer. `Retry-After` unless a change's write lost its answer, whose
 *   message says it may or may not have been saved;
 * - a login whose new session was saved succeeds though deleting the old one failed (a warning);
 * - the state is as it was, but for a write that ran on the browser's own session, which the
 *   model learns from the store: a save keeps the change, a delete (a logout) leaves nothing;
 * - `/healthz` answers 503 right after a failed request, and `ok` once its window has passed;
 * - the operator is told of the first failure at once, of later ones by count (counted-log.ts).
 */
import { spyOn } from 'bun:test'
import { Html } from '@kitajs/html'
import { memoryStore, type Store, StoreUnavailableError } from '../../../plugins/scoped-state'
import { createApp } from '../../../server/app'
import { APP_NAME } from '../../../views/layout'
import { SECRET } from '../../helpers/plugin-app'
import { eq } from './actions'
import { shows } from './observe'
import { random } from './random'
import * as model from './reference'

/** The `nth` call (from 0) of kind `call` in one request, and how it fails. */
export interface Fault {
    call: 'load' | 'save' | 'delete'
    nth: number
    how: 'down' | 'unanswered' | 'unsent'
}
/** A fault that fired: on which session id, and whether the write was applied. */
export type Fired = Fault & { id: string; applied: boolean }

/** `inner` (a synchronous store) failing the call `arm` names, for the next request only. */
export const faulty = (inner: Store) => {
    let armed: Fault | undefined
    let counts = { load: 0, save: 0, delete: 0 }
    let fired: Fired | undefined
    const call = <T>(kind: Fault['call'], id: string, act: () => T): T => {
        const fault = armed?.call === kind && armed.nth === counts[kind]++ ? armed : undefined
        if (!fault) return act()
        const applied = fault.how === 'unanswered'
        fired = { ...fault, id, applied }
        if (applied) act()
        throw new StoreUnavailableError('injected fault', { unanswered: fault.how !== 'down' })
    }
    const store: Store = {
        ...inner,
        load: (id, ttl) => call('load', id, () => inner.load(id, ttl)),
        save: (id, record, ttl) => call('save', id, () => inner.save(id, record, ttl)),
        delete: (id, ttl) => call('delete', id, () => inner.delete(id, ttl))
    }
    return {
        store,
        arm(fault: Fault | undefined) {
            armed = fault
            counts = { load: 0, save: 0, delete: 0 }
            fired = undefined
        },
        collect() {
            const was = fired
            armed = undefined
            fired = undefined
            return was
        }
    }
}

/** A request's fault, with chance `rate`; logins and logouts, whose deletes are rare, get one twice as often. */
const drawFault = (f: ReturnType<typeof random>, route: string, rate: number): Fault | undefined => {
    const ends = route === 'sign in' || route === 'sign out'
    if (!f.chance(ends ? rate * 2 : rate)) return undefined
    // A request loads its session, then again before saving (the login: the session it leaves).
    const call = ends && f.chance(0.5) ? 'delete' : f.pick(['load', 'save', 'save'] as const)
    if (call === 'load') return { call, nth: f.int(2), how: 'down' }
    return { call, nth: 0, how: f.pick(['down', 'unanswered', 'unsent'] as const) }
}

/** How a client shows an error: htmx in its alert region, a browser as a whole page, a script as is. */
export type Shown = 'htmx' | 'page' | 'api'

const UNAVAILABLE = {
    title: 'Session unavailable',
    message: 'Your session is unavailable at the moment. Nothing was changed; please try again shortly.'
}
const NOT_CONFIRMED = 'The session store did not answer in time, so your change may or may not have been saved.'
/** What the user does next: not a reload, which would post a page's form again, or start an htmx page's values over (server/errors.tsx). */
const NEXT_STEP: Record<Exclude<Shown, 'api'>, string> = {
    htmx: 'The answer to your next change will show where things stand.',
    page: 'Open the page again from the menu to see where things stand: reloading this one would send the change again.'
}
const SCRIPT_DOWN = 'Session store unavailable, please retry in a moment.'
const SCRIPT_UNSURE =
    'The session store did not answer in time: the change may or may not have been saved. Read the state before trying again.'

/** Checks the answer of a request that `fired` failed; `changing` for a POST. */
export const expectFailed = (response: Response, html: string, shown: Shown, changing: boolean, fired: Fired) => {
    const unsure = fired.how !== 'down'
    const header = (name: string) => response.headers.get(name)
    eq('status after a store fault', response.status, 503)
    eq('Set-Cookie after a store fault', header('set-cookie'), null)
    eq('HX-Redirect after a store fault', header('hx-redirect'), null)
    eq('HX-Trigger after a store fault', header('hx-trigger'), null)
    eq('Cache-Control after a store fault', header('cache-control'), 'no-store')
    if (shown === 'api') {
        eq('Retry-After', header('retry-after'), unsure ? null : '1')
        eq('answer to a script', html, unsure ? SCRIPT_UNSURE : SCRIPT_DOWN)
        return
    }
    // A page load (a GET) changes nothing the user asked for: it may be retried.
    const { title, message } =
        changing && unsure ? { title: 'Not confirmed', message: `${NOT_CONFIRMED} ${NEXT_STEP[shown]}` } : UNAVAILABLE
    eq('Retry-After', header('retry-after'), changing && unsure ? null : '1')
    eq('Vary', header('vary'), 'HX-Request, Accept')
    eq(`message “${message}”`, shows(html, message), true)
    const page =
        html.startsWith('<!doctype html>') &&
        html.includes(`<title>${Html.escapeHtml(`${title} · ${APP_NAME}`)}</title>`)
    eq('a whole error page', page, shown === 'page')
    eq('HX-Retarget', header('hx-retarget'), shown === 'htmx' ? '#alerts' : null)
    eq('HX-Reswap', header('hx-reswap'), shown === 'htmx' ? 'innerHTML' : null)
}

/**
 * The person as the store left them after a failed request: as `before`, but for a write that
 * ran on `ownId` (the browser's session): a save kept the change the model made (`after`), a
 * delete (a logout) left no state under the id the browser still sends.
 */
export const learn = (after: model.Person, before: model.Person, fired: Fired, ownId: string) => {
    const own = fired.applied && fired.id === ownId
    if (own && fired.call === 'save') return
    Object.assign(after, before)
    if (own && fired.call === 'delete') model.fullReset(after)
}

/** Whether the fault `fired` fails the request `route`: not a login's delete, once its new session was saved. */
export const fails = (fired: Fired, route: string) => !(route === 'sign in' && fired.call === 'delete')

/** The demo a request belongs to: `cart`, `counter`, or its own name (`theme`, `sign in`, `page`…). */
const familyOf = (route: string) =>
    /^(add|set|remove|clear)\b/.test(route)
        ? 'cart'
        : /^(increment|decrement|reset|full-reset)$/.test(route)
          ? 'counter'
          : route

const OUTAGE = 'Session store unavailable: injected fault'
const FIRST = `${OUTAGE} (further ones are counted every 10 s)`
const TOLD = /^Session store unavailable: injected fault \(\d+ more requests? answered 503 in the last 10 s\)$/
const QUIET = 'No requests answered 503 in the last 10 s.'

/** The app over a faulty memory store and a clock of its own, with a fault stream from `seed`. */
export const faultRun = (seed: number, rate = 0.15) => {
    let at = 1_750_000_000_000
    const now = () => at
    const tap = faulty(memoryStore({ now }))
    /** What the app warns of: outages, and refusals as cross-site. */
    const lines: string[] = []
    const app = createApp({ state: { secret: SECRET, store: tap.store, now }, warn: (line) => lines.push(line) })
    let failures = 0
    const f = random(seed + 0x5eed)
    // The plugin warns when a login's old session could not be deleted.
    const warnings = spyOn(console, 'warn').mockImplementation(() => {})
    let warned = 0
    let last: Fired | undefined
    const seen = new Map<string, number>()
    const probe = async (status: number, what: string) => {
        const response = await app.handle(new Request('http://localhost/healthz'))
        eq('GET /healthz', [response.status, ((await response.json()) as { status: string }).status], [status, what])
    }
    return {
        app,
        /** Arms a fault, or none, for the next request, to `route`. */
        arm: (route: string) => tap.arm(drawFault(f, route, rate)),
        collect: () => {
            last = tap.collect()
            return last
        },
        /** The fault that fired last, for a failure's report. */
        last: () => last,
        /** How many requests of each kind (`htmx unanswered`, `route cart`…) a fault fired in. */
        seen,
        /**
         * After a request a fault fired in: `/healthz` 503 when it failed, `ok` once 5 s passed;
         * a warning and `ok` when it did not (a login). No earlier failure is within 5 s.
         */
        async after(kind: string, route: string, failed: boolean) {
            for (const what of [kind, `route ${familyOf(route)}${failed ? '' : ' kept'}`])
                seen.set(what, (seen.get(what) ?? 0) + 1)
            eq('warnings', warnings.mock.calls.length, warned + (failed ? 0 : 1))
            warned = warnings.mock.calls.length
            // The first at once; then counts, every 10 s of the real clock, and a line when one passes quiet.
            failures += failed ? 1 : 0
            const outages = lines.filter((line) => line.startsWith(OUTAGE) || line === QUIET)
            const counted = outages.every((line, i) => line === FIRST || (i > 0 && (line === QUIET || TOLD.test(line))))
            eq('outage lines', [outages.length > 0, counted || outages], [failures > 0, true])
            if (failed) {
                await probe(503, 'store failing requests')
                at += 5_000
            }
            await probe(200, 'ok')
        },
        stop: () => warnings.mockRestore()
    }
}
export type FaultRun = ReturnType<typeof faultRun>
