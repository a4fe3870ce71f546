/**
 * A plain form (JavaScript off) posted from a page whose session has ended since it loaded:
 * signed out or in from another tab, or expired. Its change would run in another session than
 * the page showed, so it is refused with a page that says so, and nothing is saved.
 */
import { describe, expect, test } from 'bun:test'
import { PAGE_PARAM } from '../../plugins/scoped-state'
import { fromEndedPage } from '../../server/respond'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX_FORM, inPage, NAVIGATE, pageIdOf } from '../helpers/client'

const FORM = { ...FORM_POST, origin: 'http://localhost' }
const WEEK_AND_A_DAY = 8 * 86_400_000

type User = ReturnType<typeof client>

/** How the session of the open page ends, as the user's other tab (or time) ends it. */
const ENDINGS: Record<string, (user: User, passTime: () => void) => Promise<unknown>> = {
    'signed out in another tab': (user) => user.post('/account/sign-out', HTMX_FORM),
    'signed in in another tab': (user) => user.post('/account/sign-in', HTMX_FORM, 'name=Grace'),
    expired: async (_user, passTime) => passTime()
}

const CHANGES = [
    { page: '/counter', path: '/api/increment', body: '' },
    { page: '/counter', path: '/api/full-reset', body: '' },
    { page: '/cart', path: '/cart/items', body: 'productId=mug' },
    { page: '/theme', path: '/theme', body: 'theme=dark' }
]

/** What a page load shows of the user's state. */
const shown = async (user: User) => {
    const html = await user.text('/account', NAVIGATE)
    return {
        cart: /id="cart-badge"[^>]*data-count="(\d+)"/.exec(html)?.[1],
        theme: /data-theme="(\w+)"/.exec(html)?.[1],
        signedIn: /<bdi>([^<]*)<\/bdi>/.exec(html)?.[1]
    }
}

/** A user with a pen in the cart and the light theme, signed in as Ada, and a page of theirs open at `page`. */
const openPage = async (page: string) => {
    let now = Date.now()
    const app = testApp({ now: () => now })
    const user = client(app)
    await user.post('/cart/items', HTMX_FORM, 'productId=pen')
    await user.post('/theme', HTMX_FORM, 'theme=light')
    await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
    const pageId = pageIdOf(await user.text(page, NAVIGATE))
    return { app, user, pageId, passTime: () => (now += WEEK_AND_A_DAY) }
}

describe('a plain form from a page whose session ended', () => {
    for (const [ending, end] of Object.entries(ENDINGS))
        for (const { page, path, body } of CHANGES)
            test(`${ending}: ${path} is refused with a page that says so, and nothing is saved`, async () => {
                const { app, user, pageId, passTime } = await openPage(page)
                await end(user, passTime)
                // Read in another tab of the browser: a page load there would give this one a new session's
                // cookie, and the post would no longer come without a cookie (signed out) or with the expired one.
                const before = await shown(client(app, user.cookie))
                const cookie = user.cookie
                const response = await user.post(`${path}?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, FORM, body)
                expect(response.status).toBe(409)
                expect(response.headers.get('set-cookie')).toBeNull()
                const answer = await response.text()
                expect(answer).toStartWith('<!doctype html>')
                expect(answer).toContain(
                    'This page is out of date: its session has ended (signed in or out, or expired). Your change was not saved. Open the page again from the menu; if this comes back, your browser is refusing cookies from this site (cookies blocked, or the site served over plain http).'
                )
                expect(user.cookie).toBe(cookie)
                expect(await shown(user)).toEqual(before)
            })

    test('signing in and out from it still work: they load a page afresh', async () => {
        for (const [path, body, signedIn] of [
            ['/account/sign-in', 'name=Grace', 'Grace'],
            ['/account/sign-out', '', undefined]
        ] as const) {
            const { user, pageId } = await openPage('/account')
            await user.post('/account/sign-out', HTMX_FORM)
            const response = await user.post(`${path}?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, FORM, body)
            expect([response.status, response.headers.get('location')]).toEqual([303, '/account'])
            expect((await shown(user)).signedIn).toBe(signedIn)
        }
    })

    test('over htmx, as before: preserved keys change, the page scope is refused (409)', async () => {
        const { user, pageId } = await openPage('/counter')
        await user.post('/account/sign-out', HTMX_FORM)
        expect((await user.post('/api/increment', inPage(pageId))).status).toBe(409)
        expect((await user.post('/cart/items', { ...HTMX_FORM, ...inPage(pageId) }, 'productId=mug')).status).toBe(200)
        expect((await shown(user)).cart).toBe('1')
    })
})

test('fromEndedPage tells such a form before an action writes outside state; htmx and a live page are not it', () => {
    const form = (headers: Record<string, string>) =>
        new Request(`http://localhost/cart/items?${PAGE_PARAM}=abc`, { method: 'POST', headers })
    const plain = form({ accept: 'text/html' })
    expect(fromEndedPage({ request: plain, scopedPageId: '' })).toBe(true)
    expect(fromEndedPage({ request: plain, scopedPageId: 'p1' })).toBe(false)
    expect(fromEndedPage({ request: form({ accept: 'text/html', 'hx-request': 'true' }), scopedPageId: '' })).toBe(
        false
    )
    const noPage = new Request('http://localhost/cart/items', { method: 'POST', headers: { accept: 'text/html' } })
    expect(fromEndedPage({ request: noPage, scopedPageId: '' })).toBe(false)
})
