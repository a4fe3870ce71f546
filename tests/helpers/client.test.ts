/**
 * The test client keeps cookies as a browser does: a response that sets one of the app's own
 * beside the session's (a language, as RECIPES.md's "An app in another language" suggests) keeps
 * both, each replaced or dropped by name.
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client, overHttp, sessionIdOf } from './client'
import { SECRET } from './plugin-app'

const app = () =>
    new Elysia()
        .use(scopedState({ count: { value: 0, preserve: true } }, { secret: SECRET }))
        .post('/language/:code', ({ cookie, params, scopedStore }) => {
            cookie.lang?.set({ value: params.code, path: '/' })
            return ++scopedStore.count
        })
        .post('/language/forget', ({ cookie }) => {
            cookie.lang?.remove()
            return 'forgotten'
        })
        .post('/logout', ({ destroyScopedSession }) => {
            destroyScopedSession()
            return 'signed out'
        })
        .get('/seen', ({ cookie, scopedStore }) => `${cookie.lang?.value ?? '-'} ${scopedStore.count}`)

test("a cookie of the app's own, set with the session's, is sent back beside it", async () => {
    const user = client(app())
    const response = await user.post('/language/fr')
    expect(response.headers.getSetCookie()).toHaveLength(2)
    expect(sessionIdOf(user.cookie)).toHaveLength(24)
    expect(await user.text('/seen')).toBe('fr 1')
    await user.post('/language/de')
    expect(await user.text('/seen')).toBe('de 2')
})

test("each is dropped on its own: the app's cookie removed, then the session ended", async () => {
    const user = client(app())
    await user.post('/language/fr')
    await user.post('/language/forget')
    expect(await user.text('/seen')).toBe('- 1')

    await user.post('/language/fr')
    await user.post('/logout')
    expect(user.cookie).toBe('')
    expect(await user.text('/seen')).toBe('fr 0')
})

test('over HTTP, a redirect is answered to the test, as app.handle answers it, not followed', async () => {
    const server = app()
        .post('/to-seen', ({ redirect }) => redirect('/seen', 303))
        .listen({ port: 0, hostname: '127.0.0.1' })
    try {
        for (const handler of [server, overHttp(server.server?.port)]) {
            const answer = await client(handler).post('/to-seen')
            expect([answer.status, answer.headers.get('location')]).toEqual([303, '/seen'])
        }
    } finally {
        await server.stop(true)
    }
})
