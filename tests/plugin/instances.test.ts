import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'

const secret = 'x'.repeat(32)

test('two differently configured instances coexist, each on its own routes', async () => {
    const counter = new Elysia()
        .use(scopedState({ count: { value: 0 } }, { secret, cookieName: 'counter_sid' }))
        .post('/counter', ({ scopedStore }) => ++scopedStore.count)
    const profile = new Elysia()
        .use(scopedState({ name: { value: 'anonymous', preserve: true } }, { secret, cookieName: 'profile_sid' }))
        .post('/profile/:name', ({ scopedStore, params }) => {
            scopedStore.name = params.name
            return scopedStore.name
        })
        .get('/profile', ({ scopedStore }) => scopedStore.name)
    const app = new Elysia().use(counter).use(profile)

    const user = client(app)
    expect(await (await user.post('/counter')).text()).toBe('1')
    const counterCookie = user.cookie
    await user.post('/profile/ada')
    const profileCookie = user.cookie
    expect(counterCookie).toStartWith('counter_sid=')
    expect(profileCookie).toStartWith('profile_sid=')

    const both = `${counterCookie}; ${profileCookie}`
    expect(await client(app, both).text('/profile')).toBe('ada')
    expect(await (await client(app, both).post('/counter')).text()).toBe('2')
})

test('the same configuration used by two route modules shares one state and runs once per request', async () => {
    const state = scopedState({ count: { value: 0 } }, { secret })
    const a = new Elysia({ name: 'a' }).use(state).post('/a', ({ scopedStore }) => ++scopedStore.count)
    const b = new Elysia({ name: 'b' }).use(state).post('/b', ({ scopedStore }) => ++scopedStore.count)
    const user = client(new Elysia().use(a).use(b))
    expect(await (await user.post('/a')).text()).toBe('1')
    expect(await (await user.post('/b')).text()).toBe('2')
    expect(await (await user.post('/a')).text()).toBe('3')
})
