/**
 * Every TypeScript sample of the plugin's README and guide runs here as written.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { counterSample, loadSample, removeSamples, samples, writeSample } from '../helpers/readme-samples'
import { run } from '../helpers/run'

afterAll(removeSamples)

describe('plugins/scoped-state/README.md and GUIDE.md', () => {
    const file = 'plugins/scoped-state/README.md'
    const guide = 'plugins/scoped-state/GUIDE.md'

    test('has exactly the samples this file exercises', async () => {
        expect((await samples(file)).length).toBe(2)
        expect((await samples(guide)).length).toBe(6)
    })

    test('the 15-line example', async () => {
        await counterSample((await loadSample(file, 0)).app)
    })

    test('login regenerates the session, logout destroys it', async () => {
        const { app } = await loadSample(file, 1)
        const user = client(app)
        const login = await user.post('/login')
        expect(login.status).toBe(303)
        const first = user.cookie
        expect(first).toStartWith('user_session_id=')
        await user.post('/login')
        expect(user.cookie).not.toBe(first)
        // htmx gets a full page load instead of a redirect it would follow inside fetch().
        const htmx = await user.post('/login', { 'hx-request': 'true' })
        expect(htmx.status).toBe(200)
        expect(htmx.headers.get('hx-redirect')).toBe('/')
        const logout = await user.post('/logout')
        expect(logout.status).toBe(303)
        expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
        expect(user.cookie).toBe('')
    })

    test('the types named apart: a store helper, a handler, options', async () => {
        const { setup, tagCount, increment, options } = await loadSample(guide, 0)
        const app = new Elysia()
            .use(scopedState(setup, { ...options, secret: SECRET }))
            .post('/increment', increment)
            .post('/tag', ({ scopedStore }) => {
                scopedStore.tags.push('new')
                return tagCount(scopedStore)
            })
        const user = client(app)
        expect(await (await user.post('/increment')).text()).toBe('1')
        expect(await (await user.post('/increment')).text()).toBe('2')
        expect(await (await user.post('/tag')).text()).toBe('1')
    })

    test('a stored file: the one it replaced deleted once saved, the new one when the save fails (413)', async () => {
        const folder = mkdtempSync(join(tmpdir(), 'avatars-'))
        process.env.AVATAR_DIR = folder
        try {
            const { app } = await loadSample(guide, 1)
            const user = client(app)
            const upload = async (name: string) => {
                const form = new FormData()
                form.append('avatar', new File(['image'], name))
                const answer = await user.post('/avatar', {}, form)
                // The hook runs after the response, and deletes without being awaited: one file is left, in 5 s at most.
                for (const deadline = Date.now() + 5_000; readdirSync(folder).length !== 1 && Date.now() < deadline; )
                    await Bun.sleep(5)
                return answer.status
            }
            expect(await upload('me.png')).toBe(200)
            const [first] = readdirSync(folder)
            expect(await upload('me again.png')).toBe(200)
            const [second] = readdirSync(folder)
            expect(second).not.toBe(first)
            // A name that takes the state over maxStateBytes (16 KiB): not saved, its file gone too.
            expect(await upload(`${'x'.repeat(20_000)}.png`)).toBe(413)
            expect(readdirSync(folder)).toEqual([second as string])
        } finally {
            delete process.env.AVATAR_DIR
            rmSync(folder, { recursive: true, force: true })
        }
    })

    test('a new version of the setup migrates the state saved under the old one', async () => {
        // Version 1, on the memory store and development secret that instances given none share.
        const first = new Elysia()
            .use(scopedState({ cart: { value: [] as string[], preserve: true } }))
            .post('/cart/:id', ({ scopedStore, params }) => scopedStore.cart.push(params.id))
        const user = client(first)
        await user.post('/cart/mug')
        await user.post('/cart/pen')
        const { app } = await loadSample(guide, 2)
        expect(await (await client(app, user.cookie).get('/cart')).json()).toEqual([
            { id: 'mug', quantity: 1 },
            { id: 'pen', quantity: 1 }
        ])
    })

    test('signing a user out everywhere: a password change ends the other sessions, not this one', async () => {
        const { app } = await loadSample(guide, 4)
        const [laptop, phone] = [client(app), client(app)]
        await laptop.post('/login')
        await phone.post('/login')
        expect(await phone.text('/me')).toBe('alice')
        const before = laptop.cookie
        expect(await (await laptop.post('/password')).text()).toBe('password changed')
        expect(laptop.cookie).not.toBe(before)
        expect(await laptop.text('/me')).toBe('alice')
        const ended = phone.cookie
        expect(await phone.text('/me')).toBe('signed out')
        // It goes on as a new visitor, and its old cookie reaches nothing; signing in again works.
        expect(phone.cookie).not.toBe('')
        expect(phone.cookie).not.toBe(ended)
        expect(await client(app, ended).text('/me')).toBe('signed out')
        expect(await (await phone.post('/password')).text()).toBe('signed out')
        await phone.post('/login')
        expect(await phone.text('/me')).toBe('alice')
        expect(await laptop.text('/me')).toBe('alice')
    })

    test('the webhook sample does not start without its secret: with a default one, anyone could sign a delivery', async () => {
        const { code, stderr } = await run(['bun', await writeSample(guide, 5)], import.meta.dir, {
            WEBHOOK_SECRET: ''
        })
        expect(code).not.toBe(0)
        expect(stderr).toContain('WEBHOOK_SECRET')
    })

    test("a webhook marks the order paid; the session's own poll empties the cart of it, once", async () => {
        process.env.WEBHOOK_SECRET = 'the secret a payment provider signs with'
        const { app, orders, sign } = await loadSample(guide, 5)
        const user = client(app)
        await user.post('/cart/mug')
        await user.post('/cart/pen')
        const order = await (await user.post('/checkout')).text()
        await user.post('/cart/cap')
        const deliver = (body: string, signature = sign(body)) =>
            app.handle(
                new Request('http://localhost/webhooks/payment', {
                    method: 'POST',
                    headers: { 'content-type': 'application/json', 'x-signature': signature },
                    body
                })
            )
        const event = JSON.stringify({ id: 'evt_1', order })
        expect((await deliver(event, 'forged')).status).toBe(401)
        expect(await user.text(`/orders/${order}/status`)).toBe('pending')
        for (const delivery of [event, event]) {
            const answer = await deliver(delivery)
            expect(answer.status).toBe(200)
            // No session for the provider: the route is not under the plugin.
            expect(answer.headers.get('set-cookie')).toBeNull()
        }
        expect(orders.get(order)).toEqual({ items: ['mug', 'pen'], paid: true })
        // A second tab polls too: the ordered items leave the cart once, what was added since stays.
        const tab = client(app, user.cookie)
        expect(await user.text(`/orders/${order}/status`)).toBe('paid')
        expect(await tab.text(`/orders/${order}/status`)).toBe('paid')
        expect(await (await user.post('/cart/hat')).text()).toBe('2')
    })

    test('the page wiring: header for htmx, page_id for plain forms', async () => {
        const { CounterPage } = await loadSample(guide, 3)
        const html = String(CounterPage({ pageId: 'abc.def', count: 2 }))
        expect(html).toContain('hx-headers:inherited="{&#34;x-page-id&#34;:&#34;abc.def&#34;}"')
        expect(html).toContain('action="/api/increment?page_id=abc.def"')
        expect(html).toContain('<span id="count">2</span>')
    })
})
