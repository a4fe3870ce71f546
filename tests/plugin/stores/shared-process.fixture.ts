/**
 * One app process of several sharing a store, for real-processes.test.ts: `STORE` is a Redis URL
 * or `sqlite:<file>` (with its default options), else the memory store; a Redis store's
 * `lockTimeout` and `lockLease` may be shortened by `LOCK_TIMEOUT` and `LOCK_LEASE` (milliseconds),
 * so that a test waits out a dead process's lease in seconds. Started by `startServer`, it prints
 * the URL it listens on. An increment may await before it reads the count (`before`)
 * and between that read and its write (`after`), in milliseconds, so that requests of one
 * session overlap inside a process and across processes.
 */
import { Elysia } from 'elysia'
import { memoryStore, redisStore, scopedState, sqliteStore } from '../../../plugins/scoped-state'

const target = process.env.STORE ?? ''
const milliseconds = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)
const store = target.startsWith('redis://')
    ? redisStore({ url: target, lockTimeout: milliseconds('LOCK_TIMEOUT'), lockLease: milliseconds('LOCK_LEASE') })
    : target.startsWith('sqlite:')
      ? sqliteStore({ path: target.slice('sqlite:'.length) })
      : memoryStore()

const pause = (ms: unknown) => (Number(ms) > 0 ? Bun.sleep(Number(ms)) : undefined)

const app = new Elysia()
    .use(
        scopedState(
            { count: { value: 0, preserve: true }, user: { value: '', preserve: true } },
            { secret: process.env.SESSION_SECRET, store }
        )
    )
    .post('/increment', async ({ query, scopedStore }) => {
        await pause(query.before)
        const count = scopedStore.count
        await pause(query.after)
        scopedStore.count = count + 1
        return String(scopedStore.count)
    })
    .post('/login/:user', ({ params, scopedStore, regenerateScopedSession, scopedSessionId }) => {
        regenerateScopedSession()
        scopedStore.user = params.user
        return scopedSessionId()
    })
    .post('/logout', ({ destroyScopedSession }) => {
        destroyScopedSession()
        return 'signed out'
    })
    .post('/end/:id', async ({ params, endScopedSession }) => {
        await endScopedSession(params.id)
        return 'ended'
    })
    .get('/read', ({ scopedStore }) => JSON.stringify({ user: scopedStore.user, count: scopedStore.count }))
    .listen({ port: Number(process.env.PORT ?? 0), hostname: process.env.HOST ?? '127.0.0.1' })

process.on('SIGTERM', async () => {
    await app.stop()
    await store.close()
    process.exit(0)
})

console.log(`Listening on http://${app.server?.hostname}:${app.server?.port}`)
