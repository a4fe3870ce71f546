/**
 * Changing SCOPED_STATE_STORE (docs/deployment.md): no session is carried over, each user starts
 * over with the cookie they have; a store switched back to serves what it still held.
 */
import { expect } from 'bun:test'
import { join } from 'node:path'
import { client, countOf, HTMX_FORM, NAVIGATE, overHttp } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'
import { type RunningServer, serversWithFolder } from '../helpers/server'

const redis = useRedis()
const { dir, start } = serversWithFolder('store-switch-')
let serving: RunningServer | undefined

/** The app on `store`, the previous one stopped first, with one secret throughout: cookies still verify. */
const switchTo = async (store: string) => {
    await serving?.stop()
    serving = await start({ env: { NODE_ENV: 'test', SESSION_SECRET: SECRET, SCOPED_STATE_STORE: store } })
    return client(overHttp(Number(new URL(serving.url).port)))
}
type User = Awaited<ReturnType<typeof switchTo>>

/** What the user's cookie reads: the count (not a page load, which drops it), then who is signed in. */
const stateOf = async (user: User) => {
    const count = await user.get('/api/count')
    expect(count.status).toBe(200)
    const page = await user.get('/account', NAVIGATE)
    expect(page.status).toBe(200)
    return {
        count: await countOf(count),
        signedInAs: /Signed in as <strong><bdi>(.*?)<\/bdi><\/strong>/.exec(await page.text())?.[1]
    }
}

redisTest(
    'a store switched to starts every user over, cookie kept; switched back, it serves what it held',
    async () => {
        const sqlite = `sqlite:${join(dir, 'state.db')}`
        const user = await switchTo('memory')
        await user.post('/account/sign-in', HTMX_FORM, 'name=Ada')
        await user.post('/api/increment')

        for (const store of [sqlite, redis().url]) {
            const cookie = user.cookie
            const moved = await switchTo(store)
            moved.cookie = cookie
            expect(await stateOf(moved)).toEqual({ count: 0, signedInAs: undefined })
            expect(moved.cookie).toBe(cookie)
            if (store === sqlite) {
                await moved.post('/account/sign-in', HTMX_FORM, 'name=Grace')
                await moved.post('/api/increment')
                user.cookie = moved.cookie
            }
        }

        // Signed out on Redis, then back on the SQLite file: as it was, signed in.
        const signedIn = user.cookie
        const onRedis = await switchTo(redis().url)
        onRedis.cookie = signedIn
        await onRedis.post('/account/sign-out', HTMX_FORM)
        const back = await switchTo(sqlite)
        back.cookie = signedIn
        expect(await stateOf(back)).toEqual({ count: 1, signedInAs: 'Grace' })
    },
    60_000
)
