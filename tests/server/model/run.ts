/**
 * Runs a seeded sequence of actions against the real app (`app.handle`) and the reference
 * model side by side, over a few people (one browser each, several tabs, and a script using
 * the same cookie), and compares every answer: its status, its redirect and `HX-Redirect`,
 * what it shows (the count, the cart, the badge, the theme, the name, a refusal's message),
 * its cookie's lifetime, and that nothing a client sent comes back unescaped.
 */
import { testApp } from '../../helpers/app'
import { maxAgeOf, sessionIdOf } from '../../helpers/client'
import { type Action, draw, eq, shellShown } from './actions'
import { type Browser, browser, type Channel, pathWithPage, type Tab } from './clients'
import { expectFailed, type FaultRun, fails, faultRun, learn } from './faults'
import { cartOf, countOf, escaped, noticeOf, shows, signedInOf, unescaped } from './observe'
import { random } from './random'
import * as model from './reference'

interface Someone {
    label: string
    p: model.Person
    b: Browser
    /** The run's store faults, when it has them. */
    faults: FaultRun | undefined
}

const PAGES = ['/', '/counter', '/cart', '/theme', '/account']

/** Every answer: the cookie lives as long as the model says, and nothing sent comes back as markup. */
const common = (who: Someone, response: Response, html: string, sent: unknown[]) => {
    const maxAge = maxAgeOf(response)
    if (response.headers.has('set-cookie') && maxAge !== '0')
        eq('cookie outlives the browser', maxAge !== undefined, who.p.persistent)
    eq('sent text shown unescaped', unescaped(html, sent), undefined)
}

/**
 * Loads `url` in `tab` as a browser does, and checks the page against the model. `faulty`: the
 * store may fail it; the tab then still shows its page (the user goes back), or a new tab the error page.
 */
const load = async (who: Someone, tab: Tab, url: string, faulty = false) => {
    const asked = new URL(url, 'http://localhost').searchParams.get('page_id') ?? undefined
    const [before, ownId] = [structuredClone(who.p), sessionIdOf(who.b.cookie)]
    if (faulty) who.faults?.arm('page')
    const { response, html } = await who.b.load(tab, url)
    const fired = who.faults?.collect()
    common(who, response, html, [])
    const path = url.split('?')[0]
    // Taken even when the store fails: a save it applied cleared it (`learn` puts it back otherwise).
    const notice = path === '/cart' && model.takeNotice(who.p, asked)
    if (fired) {
        expectFailed(response, html, 'page', false, fired)
        model.pageLoad(who.p, asked, 'lost')
        learn(who.p, before, fired, ownId)
        await who.faults?.after(`page ${fired.how}`, 'page', true)
        return html
    }
    eq(`GET ${url}`, response.status, 200)
    model.pageLoad(who.p, asked, tab.pageId)
    if (model.isCurrent(who.p, asked)) eq('adopted page id', tab.pageId, asked)
    shellShown(who.p, html)
    if (path === '/counter') eq('count on the page', countOf(html), model.counter(who.p, tab.pageId)?.get())
    if (path === '/cart') {
        eq('cart on the page', cartOf(html).lines, who.p.cart)
        eq('message of a cart change', noticeOf(html) !== undefined, notice)
    }
    if (path === '/account')
        eq('signed in on the page', signedInOf(html), who.p.username ? escaped(who.p.username) : undefined)
    return html
}

const safeDecode = (path: string) => {
    try {
        return decodeURIComponent(path)
    } catch {
        return ''
    }
}

/** How many answers of each kind each client got (`htmx ok`, `form refused 422`…): what a run covered. */
export type Seen = Map<string, number>

const act = async (who: Someone, channel: Channel, action: Action, crossSite: boolean, seen: Seen) => {
    const saw = (what: string) => seen.set(`${channel.kind} ${what}`, (seen.get(`${channel.kind} ${what}`) ?? 0) + 1)
    const { b, p } = who
    const tab = channel.kind === 'api' ? undefined : channel.tab
    // Without a cookie (signed out, by a script here), the plugin reads a page id from the header only
    // (plugins/scoped-state/identify.ts): a plain form's `?page_id=` is not looked at, and the post
    // runs in a new session's default scope rather than being refused as out of date (409).
    const cookieless = channel.kind === 'form' && b.cookie === ''
    const [before, ownId] = [structuredClone(p), sessionIdOf(b.cookie)]
    if (!crossSite) who.faults?.arm(action.name)
    const { response: answer, parsed } = b.post(channel, action.path, action.fields, crossSite)
    const response = await answer
    const fired = who.faults?.collect()
    const html = await response.text()
    // The path's product id too, as the server decodes it (nothing, when it is not valid percent-encoding).
    const sent = [...Object.values(action.fields), safeDecode(action.path)]
    if (crossSite) {
        saw('cross-site')
        common(who, response, html, sent)
        eq('cross-site POST', response.status, 403)
        if (channel.kind === 'api') eq('refusal to a script', html, 'Cross-site request refused.')
        else eq('refusal shown', html.includes('refused as coming from another site'), true)
        return
    }
    const pageId = tab?.pageId
    const current = model.isCurrent(p, pageId)
    let outcome = action.outcome(parsed, p, cookieless ? undefined : pageId)
    // A plain form's change from a page whose session ended is refused, nothing saved (server/respond.ts).
    if (channel.kind === 'form' && pageId && !current && outcome.kind === 'ok') {
        Object.assign(p, before)
        outcome = { kind: 'stale' }
    }
    // A plain form's cart change keeps a message for the page its redirect loads (undone with the
    // change when the store fails it: `learn`).
    if (channel.kind === 'form' && outcome.kind === 'ok' && action.page === '/cart' && current && pageId)
        model.keepNotice(p, pageId)
    saw(outcome.kind === 'refused' ? `refused ${outcome.status}` : outcome.kind)
    common(who, response, html, sent)
    if (fired) {
        const failed = fails(fired, action.name)
        if (failed) {
            expectFailed(response, html, channel.kind === 'form' ? 'page' : channel.kind, true, fired)
            learn(p, before, fired, ownId)
        }
        await who.faults?.after(
            `${channel.kind} ${failed ? fired.how : 'login kept the old session'}`,
            action.name,
            failed
        )
        if (failed) return
    }
    eq('Vary', response.headers.get('vary'), 'HX-Request, Accept')
    if (outcome.kind === 'stale') {
        eq('out-of-date page', response.status, 409)
        if (channel.kind === 'htmx') eq('alert region', response.headers.get('hx-retarget'), '#alerts')
        return
    }
    if (outcome.kind === 'refused') {
        eq('refused', response.status, outcome.status)
        eq(`message “${outcome.message}” shown escaped`, shows(html, outcome.message), true)
        outcome.check(html, channel.kind === 'form')
        return
    }
    if (outcome.kind === 'reload') {
        if (outcome.newSession) {
            const cookie = response.headers.get('set-cookie') ?? ''
            eq('a new session cookie', cookie !== '', true)
        }
        if (channel.kind === 'htmx') {
            eq('status', response.status, 200)
            eq('HX-Redirect', response.headers.get('hx-redirect'), action.page)
        } else {
            eq('status', response.status, 303)
            eq('Location', response.headers.get('location'), action.page)
        }
        if (tab) outcome.check(await load(who, tab, action.page), true)
        return
    }
    if (channel.kind !== 'form') {
        eq('status', response.status, 200)
        const trigger = response.headers.get('hx-trigger')
        const expected = channel.kind === 'htmx' && outcome.htmxTrigger
        eq('HX-Trigger', trigger, expected ? JSON.stringify({ 'theme-changed': { theme: expected } }) : null)
        outcome.check(html, false)
        return
    }
    eq('status', response.status, 303)
    const location = pathWithPage(action.page, current && pageId ? pageId : '')
    eq('Location', response.headers.get('location'), location)
    outcome.check(await load(who, channel.tab, location), true)
}

/** One step: open a tab, load a page, or act through a tab or a script. */
const step = async (r: ReturnType<typeof random>, people: Someone[], log: string[], seen: Seen) => {
    const who = r.pick(people)
    const { b } = who
    if (b.tabs.length === 0 || (b.tabs.length < 3 && r.chance(0.03))) {
        const tab = { js: r.chance(0.6), pageId: '' }
        b.tabs.push(tab)
        const url = r.pick(PAGES)
        log.push(`${who.label} opens a ${tab.js ? 'htmx' : 'no-JS'} tab on ${url}`)
        await load(who, tab, url, true)
        return
    }
    const tab = r.pick(b.tabs)
    // A tab whose first load failed shows the error page, whose links are all it offers (views/error-page.tsx).
    if (tab.pageId === '' || r.chance(0.1)) {
        // A link (a fresh page), or without JavaScript a reload of the address bar (its page id).
        const url = !tab.js && r.chance(0.4) ? pathWithPage(r.pick(PAGES), tab.pageId) : r.pick(PAGES)
        log.push(`${who.label} loads ${url} in tab ${b.tabs.indexOf(tab)}`)
        await load(who, tab, url, true)
        return
    }
    const script = r.chance(0.2)
    const channel: Channel = script ? { kind: 'api', json: r.chance(0.5) } : { kind: tab.js ? 'htmx' : 'form', tab }
    if (!script && r.chance(0.08)) {
        // htmx reads the count as the counter page loads; a script asks it too.
        who.faults?.arm('count')
        const response = await b.count(channel)
        const fired = who.faults?.collect()
        const count = model.counter(who.p, channel.kind === 'api' ? undefined : tab.pageId)
        log.push(`${who.label} reads the count`)
        if (fired) {
            // htmx's request, whatever the tab (clients.ts).
            const shown = channel.kind === 'api' ? 'api' : 'htmx'
            expectFailed(response, await response.text(), shown, false, fired)
            return who.faults?.after(`${shown} count ${fired.how}`, 'count', true)
        }
        eq('GET /api/count', response.status, count ? 200 : 409)
        if (count) eq('count read', countOf(await response.text()), count.get())
        return
    }
    const action = draw(r, channel.kind === 'api' && channel.json)
    const crossSite = r.chance(0.04)
    const via =
        channel.kind === 'api'
            ? channel.json
                ? 'script (JSON)'
                : 'script'
            : `${channel.kind} tab ${b.tabs.indexOf(tab)}`
    log.push(
        `${who.label} ${action.name} ${JSON.stringify(action.fields)} via ${via}${crossSite ? ' from another site' : ''}`
    )
    await act(who, channel, action, crossSite, seen)
}

/**
 * Runs `steps` actions from `seed` over `people` people; throws at the first mismatch, with the
 * steps before it. Returns what kinds of answer it saw. With `faults`, the store fails one call
 * of some requests (./faults.ts): the kinds it saw then are `fault <client> <how>`.
 */
export const run = async (seed: number, steps: number, { people = 3, faults = false } = {}) => {
    const r = random(seed)
    const faulty = faults ? faultRun(seed) : undefined
    const app = faulty?.app ?? testApp()
    const everyone = Array.from({ length: people }, (_, i) => ({
        label: 'ABC'[i] ?? `P${i}`,
        p: model.person(),
        b: browser(app),
        faults: faulty
    }))
    const log: string[] = []
    const seen: Seen = new Map()
    try {
        for (let i = 0; i < steps; i++) {
            try {
                await step(r, everyone, log, seen)
            } catch (error) {
                const recent = log.slice(-12).map((line, n) => `  ${i - Math.min(log.length, 12) + n + 1}: ${line}`)
                const fault = faulty?.last() ? ` (store fault ${JSON.stringify(faulty.last())})` : ''
                throw new Error(`seed ${seed}, step ${i}: ${(error as Error).message}${fault}\n${recent.join('\n')}`)
            }
        }
    } finally {
        faulty?.stop()
    }
    for (const [kind, times] of faulty?.seen ?? []) seen.set(`fault ${kind}`, times)
    return seen
}
