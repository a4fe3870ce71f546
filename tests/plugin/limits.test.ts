/**
 * A request that breaks a state rule fails clearly and leaves the stored state as it was.
 * Values that are not JSON and state over the size limit: see the store contract suite.
 */
import { expect, test } from 'bun:test'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

test('an unknown key cannot be written', async () => {
    const app = stateApp().post('/unknown', ({ scopedStore }) => {
        ;(scopedStore as unknown as Record<string, number>).nope = 1
        return 'written?'
    })
    const user = client(app)
    await user.post('/increment')
    const response = await user.post('/unknown')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain("'nope' is not a key of the state setup")
    expect(await user.text('/count')).toBe('1')
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
