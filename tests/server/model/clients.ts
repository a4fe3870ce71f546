/**
 * The three kinds of client the demo app answers, over `app.handle`, sharing one browser's
 * cookie (tests/helpers/client.ts):
 * - `htmx`: a tab with JavaScript: `HX-Request` and the page's id in `X-Page-Id`.
 * - `form`: a tab with JavaScript off: a form posted to its action (`?page_id=`), asking for
 *   HTML with `Sec-Fetch-Mode: navigate`; it follows a 303 as a page load.
 * - `api`: curl or a script: no `Accept`, no page id, a form or a JSON body.
 * Each encodes the fields as it would and returns what the server parses of them.
 */
import { PAGE_PARAM } from '../../../plugins/scoped-state'
import { client, FORM_POST, FORM_TYPE, HTMX_FORM, inPage, NAVIGATE, pageIdOf } from '../../helpers/client'

type Handler = Parameters<typeof client>[0]

export interface Tab {
    /** JavaScript on (htmx) or off (plain forms). */
    js: boolean
    /** The id of the page it shows; `''` until a load succeeds (it shows an error page, which names no page). */
    pageId: string
}

export type Channel = { kind: 'htmx'; tab: Tab } | { kind: 'form'; tab: Tab } | { kind: 'api'; json: boolean }

export type Fields = Record<string, unknown>

const OWN = 'http://localhost'
const EVIL = 'https://evil.example'

/** What a plain form's `action` and its 303 carry; written apart from the plugin's `withPageId`, which it checks. */
export const pathWithPage = (path: string, pageId: string) =>
    pageId ? `${path}?${PAGE_PARAM}=${encodeURIComponent(pageId)}` : path

/** A form body, and what the server reads of it: a browser sends a lone surrogate as U+FFFD. */
const formBody = (fields: Fields) => {
    const body = new URLSearchParams()
    const parsed: Fields = {}
    for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) continue
        const values = (Array.isArray(value) ? value : [value]).map((v) => String(v).toWellFormed())
        for (const v of values) body.append(key, v)
        parsed[key] = values.length === 1 ? values[0] : values
    }
    return { body: body.toString(), parsed }
}

export const browser = (app: Handler) => {
    const jar = client(app)
    const tabs: Tab[] = []

    /** Sends a POST the way `channel` does; `crossSite` as if a page of another origin sent it. */
    const post = (channel: Channel, path: string, fields: Fields, crossSite = false) => {
        const origin = crossSite ? EVIL : OWN
        const site = crossSite ? 'cross-site' : 'same-origin'
        if (channel.kind === 'api') {
            const headers: Record<string, string> = crossSite ? { origin } : {}
            if (channel.json) {
                const body = JSON.stringify(fields)
                const parsed = JSON.parse(body) as Fields
                return { response: jar.post(path, { ...headers, 'content-type': 'application/json' }, body), parsed }
            }
            const { body, parsed } = formBody(fields)
            return { response: jar.post(path, { ...headers, ...FORM_TYPE }, body), parsed }
        }
        const { body, parsed } = formBody(fields)
        if (channel.kind === 'htmx') {
            const headers = {
                ...inPage(channel.tab.pageId),
                ...HTMX_FORM,
                'sec-fetch-mode': 'cors',
                'sec-fetch-site': site,
                origin
            }
            return { response: jar.post(path, headers, body), parsed }
        }
        const headers = { ...FORM_POST, 'sec-fetch-mode': 'navigate', 'sec-fetch-site': site, origin }
        return { response: jar.post(pathWithPage(path, channel.tab.pageId), headers, body), parsed }
    }

    /** A GET of the count: htmx from its page, or a script. */
    const count = (channel: Channel) =>
        channel.kind === 'api' ? jar.get('/api/count') : jar.get('/api/count', inPage(channel.tab.pageId))

    /** Loads `url` in `tab` as a document; the tab then shows that page, with its id. */
    const load = async (tab: Tab, url: string) => {
        const response = await jar.get(url, NAVIGATE)
        const html = await response.text()
        if (response.ok) tab.pageId = pageIdOf(html)
        return { response, html }
    }

    return {
        tabs,
        post,
        count,
        load,
        get cookie() {
            return jar.cookie
        }
    }
}

export type Browser = ReturnType<typeof browser>
