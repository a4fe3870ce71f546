/** Concurrent requests of one session never overwrite each other's writes. */
import { expect, test } from 'bun:test'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

test('100 parallel increments of one session, with an await inside the handler, end at 100', async () => {
    const app = stateApp().post('/slow-increment', async ({ scopedStore }) => {
        const seen = scopedStore.count
        await Bun.sleep(1)
        scopedStore.count = seen + 1
        return scopedStore.count
    })
    const user = client(app)
    await user.get('/count')
    await Promise.all(Array.from({ length: 100 }, () => user.post('/slow-increment')))
    expect(await user.text('/count')).toBe('100')
})

test('sessions do not wait for each other', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
        release = resolve
    })
    const app = stateApp().post('/wait', async ({ scopedStore }) => {
        await gate
        return ++scopedStore.count
    })
    const slow = client(app)
    const fast = client(app)
    await slow.get('/count')
    await fast.get('/count')
    const pending = slow.post('/wait')
    expect(await (await fast.post('/increment')).text()).toBe('1')
    release()
    expect(await (await pending).text()).toBe('1')
})
