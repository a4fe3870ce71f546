/**
 * Without JavaScript, a refusal or an error page answering a form is shown at the form's address,
 * which the browser may ask for again by GET (Enter in the address bar, a bookmark, a tab opened
 * from it): it gets the page the form was on, in the page scope its `page_id` names, not a 404.
 */
import { expect, test } from 'bun:test'
import { PAGE_PARAM } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client, FORM_POST, NAVIGATE, pageIdOf } from '../helpers/client'

const FORM = { ...FORM_POST, ...NAVIGATE, origin: 'http://localhost' }

/** Every demo action but the theme's (its page has the same address), and the page its form is on. */
const ACTIONS = [
    ['/api/increment', '/counter'],
    ['/api/decrement', '/counter'],
    ['/api/reset', '/counter'],
    ['/api/full-reset', '/counter'],
    ['/cart/items', '/cart'],
    ['/cart/items/mug', '/cart'],
    ['/cart/items/mug/remove', '/cart'],
    ['/cart/clear', '/cart'],
    ['/account/sign-in', '/account'],
    ['/account/sign-out', '/account'],
    ['/start-over', '/']
] as const

test.each(ACTIONS)('a GET of %s loads %s, in the page scope it names', async (action, page) => {
    const user = client(testApp())
    const pageId = pageIdOf(await user.text(page, NAVIGATE))
    const response = await user.get(`${action}?${PAGE_PARAM}=${pageId}`, NAVIGATE)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`${page}?${PAGE_PARAM}=${pageId}`)
    expect((await user.get(action, NAVIGATE)).headers.get('location')).toBe(page)
})

test("a counter's form asked for again by GET shows the count its page scope holds, not 0", async () => {
    const user = client(testApp())
    const pageId = pageIdOf(await user.text('/counter', NAVIGATE))
    const action = `/api/increment?${PAGE_PARAM}=${pageId}`
    for (const _ of [1, 2]) expect((await user.post(action, FORM, '')).status).toBe(303)
    const location = (await user.get(action, NAVIGATE)).headers.get('location') ?? ''
    expect(/<span id="count"[^>]*>(\d+)</.exec(await user.text(location, NAVIGATE))?.[1]).toBe('2')
})
