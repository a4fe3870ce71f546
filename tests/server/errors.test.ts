/**
 * A request that fails answers htmx in the page's alert region (`HX-Retarget`), and a
 * browser loading a page or posting a plain form with a whole page, each with its status
 * and a message that names no internals. Other clients get the error's own answer, except
 * for a bug, which is logged and answered without its message.
 */
import { afterAll, beforeEach, expect, spyOn, test } from 'bun:test'
import { Html } from '@kitajs/html'
import { status } from 'elysia'
import { memoryStore, StoreUnavailableError } from '../../plugins/scoped-state'
import { APP_SCRIPT, HTMX_URL, STYLES } from '../../server/assets'
import { APP_NAME } from '../../views/layout'
import { testApp } from '../helpers/app'
import { client, countOf, FORM_POST, HTMX, NAVIGATE, sessionIdOf } from '../helpers/client'
import { flakyStore } from '../helpers/flaky-store'
import { unreachableRedisStore } from '../helpers/redis'

const down = await unreachableRedisStore()
afterAll(() => down.close())

/** A `maxStateBytes` that no session's state fits in, a count's included. */
const TOO_SMALL = 10

/** The app with a route that reads its body, which Elysia parses first: one that does not parse is refused before it runs. */
const appReadingFields = () => testApp().post('/api/fields', ({ body }) => JSON.stringify(body))

const FORBIDDEN_PAGE = 'You are not allowed to see this page.'
const FORBIDDEN_CHANGE = 'You are not allowed to do this. Nothing was changed.'
const UNAVAILABLE_MESSAGE = 'Your session is unavailable at the moment. Nothing was changed; please try again shortly.'

// Asserted on, and kept out of the test output.
const error = spyOn(console, 'error').mockImplementation(() => {})
// Cleared before each test: calls from other files' tests, run in this process, would count too.
beforeEach(() => error.mockClear())

test('the store down: an htmx click gets 503 and its message in the alert region', async () => {
    const response = await client(testApp({ store: down })).post('/api/increment', HTMX)
    expect(response.status).toBe(503)
    expect(response.headers.get('hx-retarget')).toBe('#alerts')
    expect(response.headers.get('hx-reswap')).toBe('innerHTML')
    expect(response.headers.get('retry-after')).toBe('1')
    expect(response.headers.get('content-type')).toStartWith('text/html')
    expect(await response.text()).toBe(`<p class="notice notice-error">${UNAVAILABLE_MESSAGE}</p>`)
    // An outage is not a bug: nothing is logged as one.
    expect(error).not.toHaveBeenCalled()
})

test('the store down: a client that is not htmx keeps the plain 503', async () => {
    const response = await client(testApp({ store: down })).post('/api/increment')
    expect(response.status).toBe(503)
    expect(response.headers.get('hx-retarget')).toBeNull()
    expect(await response.text()).toBe('Session store unavailable, please retry in a moment.')
})

/** The parts of an error page: its status, the layout around the message, nothing from the state. */
const expectErrorPage = async (response: Response, status: number, title: string, message: string) => {
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toStartWith('text/html')
    expect(response.headers.get('hx-retarget')).toBeNull()
    const html = await response.text()
    expect(html).toStartWith('<!doctype html>')
    expect(html.match(/<!doctype/gi)).toHaveLength(1)
    expect(html).toContain(`<title>${Html.escapeHtml(`${title} · ${APP_NAME}`)}</title>`)
    expect(html).toContain(`<h1>${title}</h1><p class="lead">${message}</p>`)
    expect(html).toContain('<nav class="site-nav" aria-label="Main">')
    expect(html).toContain('<a href="/">Back to the home page</a>')
    return html
}

test('a page load of an unknown address: a 404 page in the layout, and no state touched', async () => {
    const alice = client(testApp())
    await alice.post('/api/increment')
    const cookie = alice.cookie

    const response = await alice.get('/no/such/page', NAVIGATE)
    await expectErrorPage(response, 404, 'Page not found', 'There is no page at this address.')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(alice.cookie).toBe(cookie)
    // Her count is as it was: a page load that touched her state would have started the scripts' scope over.
    expect(await countOf(await alice.get('/api/count'))).toBe(1)
})

// What htmx 4.0.1 sends on Back or Forward to an entry it pushed; it swaps the answer for the whole <body>.
const HISTORY_RESTORE = { accept: '*/*', 'hx-history-restore-request': 'true', 'sec-fetch-mode': 'cors' }

test("htmx's history restore of an address that fails gets the error page, as a page load does", async () => {
    const missing = await client(testApp()).get('/no/such/page', HISTORY_RESTORE)
    await expectErrorPage(missing, 404, 'Page not found', 'There is no page at this address.')
    const alice = client(testApp())
    await alice.post('/api/increment', FORM_POST)
    const stranded = await client(testApp({ store: down }), alice.cookie).get('/counter', HISTORY_RESTORE)
    await expectErrorPage(stranded, 503, 'Session unavailable', UNAVAILABLE_MESSAGE)
})

test('an unknown address from curl keeps the plain 404', async () => {
    const response = await client(testApp()).get('/no/such/page')
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('NOT_FOUND')
})

test('the store down: a page load and a plain form post get a 503 page', async () => {
    // A session with state, then its store goes down.
    const alice = client(testApp())
    await alice.post('/api/increment', FORM_POST)
    const stranded = client(testApp({ store: down }), alice.cookie)

    const page = await stranded.get('/counter', NAVIGATE)
    await expectErrorPage(page, 503, 'Session unavailable', UNAVAILABLE_MESSAGE)
    expect(page.headers.get('retry-after')).toBe('1')
    const form = await stranded.post('/api/increment', FORM_POST)
    await expectErrorPage(form, 503, 'Session unavailable', UNAVAILABLE_MESSAGE)
    expect(error).not.toHaveBeenCalled()
})

test('the store down: static files and htmx still answer a session cookie, which reads no state there', async () => {
    // What the error page loads (its styles, script and icon) and a liveness check (docs/deployment.md)
    // need no store: static files are outside the plugin's routes, so a session cookie reads nothing there.
    const alice = client(testApp())
    await alice.post('/api/increment', FORM_POST)
    const stranded = client(testApp({ store: down }), alice.cookie)
    for (const path of [STYLES.url, APP_SCRIPT.url, HTMX_URL, '/public/favicon.svg']) {
        const response = await stranded.get(path)
        expect({ path, status: response.status, cookie: response.headers.get('set-cookie') }).toEqual({
            path,
            status: 200,
            cookie: null
        })
    }
})

test('state saved by a newer version of the app (a deploy, a rollback): 503, nothing changed, and a way to start over', async () => {
    const store = memoryStore()
    const alice = client(testApp({ store }))
    await alice.post('/api/increment', FORM_POST)
    const id = sessionIdOf(alice.cookie)
    const newer = JSON.stringify({ v: 2, s: { palette: 'warm' }, p: {} })
    store.save(id, newer, 60_000)
    const unreadable =
        'Your saved session cannot be read by this version of the app. Nothing was changed. Try again shortly, or '

    const click = await alice.post('/api/increment', HTMX)
    expect(click.status).toBe(503)
    expect(click.headers.get('hx-retarget')).toBe('#alerts')
    expect(click.headers.get('retry-after')).toBe('1')
    expect(await click.text()).toContain(`${unreadable}reload the page to start over.`)
    // A page that reads state answers 503, with a plain form that resets everything.
    const page = await alice.get('/counter', NAVIGATE)
    const html = await expectErrorPage(
        page,
        503,
        'Saved session unreadable',
        `${unreadable}start over, which clears everything this site saved for you.`
    )
    expect(html).toContain('<form method="post" action="/start-over"><button type="submit">Start over</button></form>')
    expect(page.headers.get('retry-after')).toBe('1')
    expect(store.load(id, 60_000)).toBe(newer)
    expect(error).not.toHaveBeenCalled()

    const startOver = await alice.post('/start-over', FORM_POST)
    expect(startOver.status).toBe(303)
    expect(startOver.headers.get('location')).toBe('/')
    expect((await alice.get('/counter', NAVIGATE)).status).toBe(200)
    expect(await countOf(await alice.post('/api/increment', HTMX))).toBe(1)
})

test('with locking (as on Redis), a request that failed with an error page leaves its session usable', async () => {
    const store = memoryStore()
    const alice = client(testApp({ store, serializeRequests: true }))
    await alice.post('/api/increment', HTMX)
    const id = sessionIdOf(alice.cookie)
    const saved = store.load(id, 60_000) as string
    store.save(id, JSON.stringify({ v: 2, s: {}, p: {} }), 60_000)
    expect((await alice.post('/api/increment', HTMX)).status).toBe(503)

    // The newer version is rolled back: this session's requests are served again.
    store.save(id, saved, 60_000)
    expect(await countOf(await alice.post('/api/increment', HTMX))).toBe(2)
})

test('a save the store took and did not confirm: the user is told it may have been saved, not to try again', async () => {
    const store = flakyStore({ unanswered: true })
    const alice = client(testApp({ store }))
    await alice.post('/api/increment', HTMX)
    store.failing = true
    const click = await alice.post('/api/increment', HTMX)
    expect(click.status).toBe(503)
    expect(click.headers.get('retry-after')).toBeNull()
    expect(click.headers.get('hx-retarget')).toBe('#alerts')
    // Not to reload: that starts the page's own values over (the count at 0), which shows nothing of the change.
    expect(await click.text()).toContain(
        'The session store did not answer in time, so your change may or may not have been saved. The answer to your next change will show where things stand.'
    )
    expect(error).not.toHaveBeenCalled()
})

test('without JavaScript, each refusal is a page that says what happened: unconfirmed, too large, unreadable', async () => {
    const store = flakyStore({ unanswered: true })
    const alice = client(testApp({ store }))
    await alice.post('/api/increment', FORM_POST)
    store.failing = true
    const unconfirmed = await alice.post('/api/increment', FORM_POST)
    await expectErrorPage(
        unconfirmed,
        503,
        'Not confirmed',
        // Not "reload": a reload of a form's answer posts the form again (checked in Chromium).
        'The session store did not answer in time, so your change may or may not have been saved. Open the page again from the menu to see where things stand: reloading this one would send the change again.'
    )
    expect(unconfirmed.headers.get('retry-after')).toBeNull()

    const tooLarge = await client(testApp({ maxStateBytes: TOO_SMALL })).post('/api/increment', FORM_POST)
    await expectErrorPage(
        tooLarge,
        413,
        'Not saved',
        'That is more than your session can hold, so it was not saved. Remove something and try again.'
    )

    const unparsable = await client(appReadingFields()).post(
        '/api/fields',
        { ...FORM_POST, 'content-type': 'application/json' },
        '{"name":'
    )
    await expectErrorPage(unparsable, 400, 'Request refused', 'The request was refused. Nothing was changed.')
    expect(error).not.toHaveBeenCalled()
})

test('a save the store did not confirm, from a script: no Retry-After, which would apply it twice', async () => {
    const store = flakyStore({ unanswered: true })
    const script = client(testApp({ store }))
    await script.post('/api/increment')
    store.failing = true
    const response = await script.post('/api/increment')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBeNull()
    expect(await response.text()).toBe(
        'The session store did not answer in time: the change may or may not have been saved. Read the state before trying again.'
    )
})

test('one session held too long elsewhere, from a script: 503 saying so, to retry', async () => {
    const busy = flakyStore({ busy: true })
    busy.failing = true
    const response = await client(testApp({ store: busy })).post('/api/increment')
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.text()).toBe(
        'Another request of this session is still being handled, please retry in a moment.'
    )
})

test('a page load the store did not answer changed nothing, and says so', async () => {
    const store = memoryStore()
    const alice = client(testApp({ store }))
    await alice.post('/api/increment', HTMX)
    const silent = {
        ...store,
        load: () => {
            throw new StoreUnavailableError('Redis did not answer within 1500 ms', { unanswered: true })
        }
    }
    const page = await client(testApp({ store: silent }), alice.cookie).get('/counter', NAVIGATE)
    await expectErrorPage(page, 503, 'Session unavailable', UNAVAILABLE_MESSAGE)
})

test('an htmx click on an action that no longer exists: 404, told to reload, in the alert region', async () => {
    const response = await client(testApp()).post('/api/no-such-action', HTMX)
    expect(response.status).toBe(404)
    expect(response.headers.get('hx-retarget')).toBe('#alerts')
    expect(response.headers.get('vary')).toBe('HX-Request, Accept')
    expect(await response.text()).toBe(
        '<p class="notice notice-error">This action no longer exists. Reload the page.</p>'
    )
})

test('state over maxStateBytes: 413, told in words and not in bytes, in the alert region', async () => {
    const response = await client(testApp({ maxStateBytes: TOO_SMALL })).post('/api/increment', HTMX)
    expect(response.status).toBe(413)
    expect(response.headers.get('hx-retarget')).toBe('#alerts')
    expect(await response.text()).toBe(
        '<p class="notice notice-error">That is more than your session can hold, so it was not saved. Remove something and try again.</p>'
    )
})

test('a refused request (a body that does not parse, a 4xx a handler set before it threw) is not called a failure', async () => {
    const app = appReadingFields()
        .post('/api/invalid', ({ set }) => {
            set.status = 400
            throw new Error('invalid')
        })
        .post('/api/conflict', ({ set }) => {
            set.status = 409
            throw new Error('conflict')
        })
        // Elysia takes a status by its name too.
        .post('/api/gone', ({ set }) => {
            set.status = 'Gone'
            throw new Error('gone')
        })
    const unparsable = await client(app).post(
        '/api/fields',
        { ...HTMX, 'content-type': 'application/json' },
        '{"name":'
    )
    const invalid = await client(app).post('/api/invalid', HTMX)
    const conflict = await client(app).post('/api/conflict', HTMX)
    const gone = await client(app).post('/api/gone', HTMX)
    for (const [response, status] of [
        [unparsable, 400],
        [invalid, 400],
        [conflict, 409],
        [gone, 410]
    ] as const) {
        expect(response.status).toBe(status)
        expect(await response.text()).toContain('The request was refused. Nothing was changed.')
    }
})

/** A route that refuses as an access check does, and as the plugin GUIDE says to: a throw discards the request's changes. */
const forbiddingApp = () =>
    testApp().all('/admin', () => {
        throw status(403, 'Admins only')
    })

test('a thrown status (throw status(403)): its own status, in the alert region or the layout, and not a bug', async () => {
    const alice = client(forbiddingApp())
    const htmx = await alice.post('/admin', HTMX)
    expect(htmx.status).toBe(403)
    expect(htmx.headers.get('hx-retarget')).toBe('#alerts')
    expect(await htmx.text()).toBe(`<p class="notice notice-error">${FORBIDDEN_CHANGE}</p>`)
    await expectErrorPage(await alice.get('/admin', NAVIGATE), 403, 'Not allowed', FORBIDDEN_PAGE)
    await expectErrorPage(await alice.post('/admin', FORM_POST), 403, 'Not allowed', FORBIDDEN_CHANGE)
    const script = await alice.post('/admin')
    expect(script.status).toBe(403)
    expect(await script.text()).toBe('Admins only')
    expect(error).not.toHaveBeenCalled()
})

const bug = new Error('cannot open /srv/app/secret.json')
const buggyApp = () =>
    testApp().post('/api/broken', () => {
        throw bug
    })

test('a bug, from htmx: logged on the server, a message without its details in the alert region', async () => {
    const response = await client(buggyApp()).post('/api/broken', HTMX)
    expect(response.status).toBe(500)
    expect(response.headers.get('hx-retarget')).toBe('#alerts')
    const body = await response.text()
    expect(body).toContain('Something went wrong. Nothing was changed; please try again.')
    expect(body).not.toContain('secret.json')
    expect(error).toHaveBeenCalledWith(bug)
})

test('a bug in a page: logged on the server, a 500 page without its details', async () => {
    const app = testApp().get('/broken', () => {
        throw bug
    })
    const html = await expectErrorPage(
        await client(app).get('/broken', NAVIGATE),
        500,
        'Something went wrong',
        'Something went wrong. Nothing was changed; please try again.'
    )
    expect(html).not.toContain('secret.json')
    expect(error).toHaveBeenCalledWith(bug)
})

test('a bug, from another client: logged, and a plain 500 without its details', async () => {
    const response = await client(buggyApp()).post('/api/broken')
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('Internal Server Error')
    expect(error).toHaveBeenCalledWith(bug)
})

test('a bug after the handler set a 5xx status: that status for every client, logged, without its details', async () => {
    const app = testApp().post('/api/upstream', ({ set }) => {
        set.status = 502
        throw bug
    })
    const htmx = await client(app).post('/api/upstream', HTMX)
    expect(htmx.status).toBe(502)
    expect(await htmx.text()).toContain('Something went wrong. Nothing was changed; please try again.')
    const page = await client(app).post('/api/upstream', FORM_POST)
    expect(page.status).toBe(502)
    const script = await client(app).post('/api/upstream')
    expect([script.status, await script.text()]).toEqual([502, 'Bad Gateway'])
    expect(error).toHaveBeenCalledWith(bug)
})

test('a bug carrying a status no response can have (600): a 500 for every client, logged, without its details', async () => {
    const odd = Object.assign(new Error('upstream quota /srv/app/keys.json'), { status: 600 })
    const app = testApp().post('/api/upstream', () => {
        throw odd
    })
    const script = await client(app).post('/api/upstream')
    expect([script.status, await script.text()]).toEqual([500, 'Internal Server Error'])
    const htmx = await client(app).post('/api/upstream', HTMX)
    expect(htmx.status).toBe(500)
    expect(await htmx.text()).toContain('Something went wrong. Nothing was changed; please try again.')
    expect(error).toHaveBeenCalledWith(odd)
})

test('an error is sent no-store and without the validators the route set for its answer before it failed', async () => {
    // A fragment a browser may keep and revalidate (private, an ETag), whose handler then throws, or
    // whose state the plugin then fails to save (409, 413, 503): the error must not be kept in its place.
    const app = testApp().get('/api/cached', ({ set }) => {
        set.headers['cache-control'] = 'private, max-age=60'
        set.headers.etag = '"v1"'
        set.headers['last-modified'] = 'Mon, 03 Mar 2025 12:00:00 GMT'
        throw bug
    })
    for (const headers of [HTMX, NAVIGATE, {}]) {
        const response = await client(app).get('/api/cached', headers)
        expect(response.status).toBe(500)
        expect(response.headers.get('cache-control')).toBe('no-store')
        expect(response.headers.get('etag')).toBeNull()
        expect(response.headers.get('last-modified')).toBeNull()
    }
})

test('every page has the alert region, empty, outside the areas requests swap', async () => {
    const html = await client(testApp()).text('/counter')
    expect(html).toContain('<main id="main" class="container" tabindex="-1"><div id="alerts" role="alert"></div>')
})
