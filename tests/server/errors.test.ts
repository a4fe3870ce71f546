/**
 * A request that fails answers htmx in the page's alert region (`HX-Retarget`), with its
 * status and a message that names no internals. Other clients get the error's own answer,
 * except for a bug, which is logged and answered without its message.
 */
import { afterAll, beforeEach, expect, spyOn, test } from 'bun:test'
import { testApp } from '../helpers/app'
import { client, HTMX } from '../helpers/client'
import { unreachableRedisStore } from '../helpers/redis'

const down = await unreachableRedisStore()
afterAll(() => down.close())

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
    expect(await response.text()).toBe(
        '<p class="notice notice-error">Your session is unavailable at the moment. Nothing was changed; please try again shortly.</p>'
    )
    // An outage is not a bug: nothing is logged as one.
    expect(error).not.toHaveBeenCalled()
})

test('the store down: a client that is not htmx keeps the plain 503', async () => {
    const response = await client(testApp({ store: down })).post('/api/increment')
    expect(response.status).toBe(503)
    expect(response.headers.get('hx-retarget')).toBeNull()
    expect(await response.text()).toBe('Session store unavailable, please retry in a moment.')
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

test('a bug, from another client: logged, and a plain 500 without its details', async () => {
    const response = await client(buggyApp()).post('/api/broken')
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('Internal Server Error')
    expect(error).toHaveBeenCalledWith(bug)
})

test('every page has the alert region, empty, outside the areas requests swap', async () => {
    const html = await client(testApp()).text('/counter')
    expect(html).toContain('<main id="main" class="container" tabindex="-1"><div id="alerts" role="alert"></div>')
})
