/** A request that breaks a state rule fails clearly and leaves the stored state as it was. */
import { expect, test } from 'bun:test'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

test('state over maxStateBytes is refused with 413 and the previous state kept', async () => {
    const user = client(stateApp({ maxStateBytes: 120 }))
    await user.post('/tag/short')
    const response = await user.post(`/tag/${'x'.repeat(200)}`)
    expect(response.status).toBe(413)
    expect(await response.text()).toMatch(/Scoped state would take \d+ bytes, over the limit of 120/)
    expect(await user.text('/tags')).toBe('short')
})

test('a value that is not JSON fails with a message naming the key; nothing is written', async () => {
    const { Elysia } = await import('elysia')
    const app = stateApp().use(
        new Elysia().post('/bad', () => 'unused') // keeps the app's own routes intact
    )
    const bad = app.post('/store-date', ({ scopedStore }) => {
        scopedStore.count = 5
        ;(scopedStore.cart as unknown as { when: Date }).when = new Date()
        return 'saved?'
    })
    const user = client(bad)
    await user.post('/increment')
    const response = await user.post('/store-date')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain('scopedStore.cart.when holds a Date')
    expect(await user.text('/count')).toBe('1')
})

test('an unknown key cannot be written', async () => {
    const app = stateApp().post('/unknown', ({ scopedStore }) => {
        ;(scopedStore as unknown as Record<string, number>).nope = 1
        return 'written?'
    })
    const response = await client(app).post('/unknown')
    expect(response.status).toBe(500)
})

test('a handler that throws writes nothing', async () => {
    const app = stateApp().post('/fail', ({ scopedStore }) => {
        scopedStore.count = 99
        throw new Error('boom')
    })
    const user = client(app)
    await user.post('/increment')
    expect((await user.post('/fail')).status).toBe(500)
    expect(await user.text('/count')).toBe('1')
})
