/**
 * `POST /start-over`, the error page's way out of unreadable state: it belongs to no demo, clears
 * every key (preserved ones too) and loads the home page afresh.
 */
import { expect, test } from 'bun:test'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX, NAVIGATE, sessionIdOf } from '../helpers/client'

const shopper = async () => {
    const user = client(testApp())
    await user.post('/cart/items', FORM_POST, 'productId=mug')
    await user.post('/theme', FORM_POST, 'theme=dark')
    await user.post('/api/increment', FORM_POST)
    return user
}

test('a plain form post clears every key, preserved ones too, and loads the home page afresh', async () => {
    const user = await shopper()
    const before = await user.text('/cart', NAVIGATE)
    expect(before).toContain('data-theme="dark"')
    expect(before).toContain('data-count="1"')
    const id = sessionIdOf(user.cookie)

    const response = await user.post('/start-over', FORM_POST)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    const after = await user.text('/cart', NAVIGATE)
    expect(after).toContain('data-theme="system"')
    expect(after).toContain('data-count="0"')
    expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
    // The same session: only its state went.
    expect(sessionIdOf(user.cookie)).toBe(id)
})

test('an htmx request is told to load the home page', async () => {
    const user = await shopper()
    const response = await user.post('/start-over', HTMX)
    expect(response.status).toBe(200)
    expect(response.headers.get('hx-redirect')).toBe('/')
    expect(await user.text('/theme', NAVIGATE)).toContain('data-theme="system"')
})

test('a cross-site post is refused and clears nothing', async () => {
    const user = await shopper()
    const response = await user.post('/start-over', { ...FORM_POST, 'sec-fetch-site': 'cross-site' })
    expect(response.status).toBe(403)
    expect(await user.text('/theme', NAVIGATE)).toContain('data-theme="dark"')
})
