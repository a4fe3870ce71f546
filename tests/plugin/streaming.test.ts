/**
 * What a streaming handler (a generator, or a `Response` whose body is a `ReadableStream`) gets
 * of the state: the GUIDE's "What a request saves" says so.
 */
import { describe, expect, test } from 'bun:test'
import { memoryStore, redisStore, type Store } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

const redis = useRedis()

/** A stream that says the count four times, 50 ms apart, as its request read it. */
const streaming = (store: Store, serializeRequests = false) =>
    stateApp({ store, serializeRequests })
        .get('/generator', async function* ({ scopedStore }) {
            for (let i = 0; i < 4; i++) {
                yield `${scopedStore.count};`
                await Bun.sleep(50)
            }
        })
        .get('/readable', ({ scopedStore }) => {
            let sent = 0
            const body = new ReadableStream<string>({
                async pull(controller) {
                    await Bun.sleep(50)
                    controller.enqueue(`${scopedStore.count};`)
                    if (++sent === 4) controller.close()
                }
            })
            return new Response(body)
        })

/** While `path` streams, the session's increments are answered; the stream says the count its request read. */
const streamWhileChanging = async (store: Store, path: string, serializeRequests = false) => {
    const user = client(streaming(store, serializeRequests))
    await user.post('/increment')
    const response = await user.get(path)
    const answers: number[] = []
    for (let i = 0; i < 3; i++) {
        const started = performance.now()
        expect((await user.post('/increment')).status).toBe(200)
        answers.push(performance.now() - started)
    }
    return { body: await response.text(), slowest: Math.max(...answers), count: await user.text('/count') }
}

describe('a streaming handler', () => {
    for (const path of ['/generator', '/readable'])
        test(`${path}: reads the state as its request loaded it, and holds no turn of the session while it streams`, async () => {
            const { body, slowest, count } = await streamWhileChanging(memoryStore(), path, true)
            expect(body).toBe('1;1;1;1;')
            expect(count).toBe('4')
            expect(slowest).toBeLessThan(100)
        })

    redisTest('with Redis: the lock is released before the body streams', async () => {
        const store = redisStore({ url: redis().url })
        try {
            const { body, slowest, count } = await streamWhileChanging(store, '/generator')
            expect(body).toBe('1;1;1;1;')
            expect(count).toBe('4')
            expect(slowest).toBeLessThan(100)
        } finally {
            await store.close()
        }
    })
})
