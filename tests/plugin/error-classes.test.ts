/**
 * Each of the plugin's 409s has a class of its own: an app that words its errors itself (in
 * the user's language, `server/errors.tsx`) tells them apart by class, not by English text.
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { CollisionError, SessionEndedError, scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

/** A counter whose `/slow-increment` reads, waits for `gate`, then writes; `thrown` collects the errors. */
const pausedApp = () => {
    const thrown: unknown[] = []
    let gate = Promise.withResolvers<void>()
    const app = new Elysia()
        .onError(({ error }) => {
            thrown.push(error)
        })
        .use(scopedState({ count: { value: 0 } }, { secret: SECRET }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .post('/slow-increment', async ({ scopedStore }) => {
            const seen = scopedStore.count
            await gate.promise
            scopedStore.count = seen + 1
            return scopedStore.count
        })
        .post('/logout', ({ destroyScopedSession }) => {
            destroyScopedSession()
            return 'bye'
        })
    const release = () => {
        gate.resolve()
        gate = Promise.withResolvers<void>()
    }
    return { app, thrown, release }
}

test('two changes of one key that overlap: the later one is a CollisionError', async () => {
    const { app, thrown, release } = pausedApp()
    const user = client(app)
    await user.post('/increment')
    const first = user.post('/slow-increment')
    const second = user.post('/slow-increment')
    await Bun.sleep(0)
    release()
    const statuses = [(await first).status, (await second).status].sort()
    expect(statuses).toEqual([200, 409])
    expect(thrown).toHaveLength(1)
    expect(thrown[0]).toBeInstanceOf(CollisionError)
})

test('a change still running when its session ended is a SessionEndedError', async () => {
    const { app, thrown, release } = pausedApp()
    const user = client(app)
    await user.post('/increment')
    const slow = client(app, user.cookie).post('/slow-increment')
    await user.post('/logout')
    release()
    expect((await slow).status).toBe(409)
    expect(thrown).toHaveLength(1)
    expect(thrown[0]).toBeInstanceOf(SessionEndedError)
})
