/**
 * What a streaming handler (a generator, or a `Response` whose body is a `ReadableStream`) gets
 * of the state, and which hooks run after a save: the GUIDE's "What a request saves" and its
 * security model say so.
 */
import { describe, expect, test } from 'bun:test'
import { memoryStore, redisStore, type Store } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

const redis = useRedis()

/**
 * A stream that says the count four times, as its request read it, and waits for `gate` after
 * the first: until the test has had the session's other requests answered.
 */
const streaming = (store: Store, gate: Promise<void>, serializeRequests = false) =>
    stateApp({ store, serializeRequests })
        .get('/generator', async function* ({ scopedStore }) {
            for (let i = 0; i < 4; i++) {
                yield `${scopedStore.count};`
                if (i === 0) await gate
            }
        })
        .get('/readable', ({ scopedStore }) => {
            let sent = 0
            const body = new ReadableStream<string>({
                async pull(controller) {
                    if (sent === 1) await gate
                    controller.enqueue(`${scopedStore.count};`)
                    if (++sent === 4) controller.close()
                }
            })
            return new Response(body)
        })

/**
 * While `path` streams, the session's increments are answered; the stream says the count its
 * request read. The stream goes on only once they are: had it held the session's turn (or, on
 * Redis, its lock) until its end, they would wait for it, and the test would time out.
 */
const streamWhileChanging = async (store: Store, path: string, serializeRequests = false) => {
    const gate = Promise.withResolvers<void>()
    const user = client(streaming(store, gate.promise, serializeRequests))
    await user.post('/increment')
    const response = await user.get(path)
    for (let i = 0; i < 3; i++) expect((await user.post('/increment')).status).toBe(200)
    gate.resolve()
    return { body: await response.text(), count: await user.text('/count') }
}

describe('a streaming handler', () => {
    for (const path of ['/generator', '/readable'])
        test(`${path}: reads the state as its request loaded it, and holds no turn of the session while it streams`, async () => {
            const { body, count } = await streamWhileChanging(memoryStore(), path, true)
            expect(body).toBe('1;1;1;1;')
            expect(count).toBe('4')
        })

    redisTest('with Redis: the lock is released before the body streams', async () => {
        const store = redisStore({ url: redis().url })
        try {
            const { body, count } = await streamWhileChanging(store, '/generator')
            expect(body).toBe('1;1;1;1;')
            expect(count).toBe('4')
        } finally {
            await store.close()
        }
    })
})

/** Resolves when `signal` aborts: for a listening server's request, when its client goes. */
const aborted = (signal: AbortSignal) =>
    new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))

describe('an event stream waiting for news', () => {
    test('whose client went away ends at once only when it waits on request.signal too', async () => {
        const news = Promise.withResolvers<void>()
        const ended = { watchful: Promise.withResolvers<void>(), unwatchful: Promise.withResolvers<void>() }
        let unwatchfulEnded = false
        const app = stateApp()
            .get('/watchful', async function* ({ scopedStore, request }) {
                try {
                    yield `${scopedStore.count};`
                    await Promise.race([news.promise, aborted(request.signal)])
                } finally {
                    ended.watchful.resolve()
                }
            })
            .get('/unwatchful', async function* ({ scopedStore }) {
                try {
                    yield `${scopedStore.count};`
                    await news.promise
                    yield 'news;'
                } finally {
                    unwatchfulEnded = true
                    ended.unwatchful.resolve()
                }
            })
            .listen({ port: 0, hostname: '127.0.0.1' })
        try {
            for (const path of ['/watchful', '/unwatchful']) {
                const leaving = new AbortController()
                const response = await fetch(`http://127.0.0.1:${app.server?.port}${path}`, { signal: leaving.signal })
                expect(new TextDecoder().decode((await response.body?.getReader().read())?.value)).toBe('0;')
                leaving.abort()
            }
            await ended.watchful.promise
            // It awaits news that has not come: nothing can have ended it.
            expect(unwatchfulEnded).toBe(false)
            news.resolve()
            await ended.unwatchful.promise
        } finally {
            await app.stop(true)
        }
    })
})

describe('after the save', () => {
    test('an onAfterHandle hook added after the plugin runs only once the save succeeded; onAfterResponse runs after a failed one too', async () => {
        const afterHandle: string[] = []
        const afterResponse: string[] = []
        const app = stateApp({ maxStateBytes: 200 })
            .onAfterHandle(({ request }) => {
                afterHandle.push(new URL(request.url).pathname)
            })
            .onAfterResponse(({ request, set }) => {
                afterResponse.push(`${new URL(request.url).pathname} ${set.status}`)
            })
            .post('/small', ({ scopedStore }) => {
                scopedStore.theme = 'dark'
                return 'changed'
            })
            .post('/big', ({ scopedStore }) => {
                scopedStore.theme = 'x'.repeat(500)
                return 'changed'
            })
        const user = client(app)
        expect((await user.post('/small')).status).toBe(200)
        expect((await user.post('/big')).status).toBe(413)
        await Bun.sleep(10)
        expect(afterHandle).toEqual(['/small'])
        expect(afterResponse).toEqual(['/small 200', '/big 413'])
        expect(await user.text('/state')).toContain('"theme":"dark"')
    })
})
