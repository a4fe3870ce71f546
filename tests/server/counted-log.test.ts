/**
 * Requests answered 503 (the session store failing, state saved by a newer version) or 403
 * (refused as cross-site) are told to the operator once, then once per window with a count.
 */
import { expect, spyOn, test } from 'bun:test'
import { memoryStore, StoreUnavailableError } from '../../plugins/scoped-state'
import { createApp } from '../../server/app'
import { countedLog } from '../../server/counted-log'
import { client, sessionIdOf } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { unreachableRedisStore } from '../helpers/redis'
import { lengthReaches } from '../helpers/wait'

test('the first failure is reported at once; later ones once per window with their count, the last ones too', async () => {
    const lines: string[] = []
    const { report } = countedLog(
        (line) => lines.push(line),
        { one: 'request answered 503', many: 'requests answered 503' },
        50
    )
    report(new StoreUnavailableError('Redis did not answer within 1500 ms'))
    expect(lines).toEqual([
        'Session store unavailable: Redis did not answer within 1500 ms (further ones are counted every 0.05 s)'
    ])
    for (let i = 0; i < 4; i++) report(new StoreUnavailableError('Redis: Connection closed'))
    // Nothing more fails: the count still comes, once, then a window without any says so.
    await lengthReaches(lines, 3)
    await Bun.sleep(120)
    expect(lines.slice(1)).toEqual([
        'Session store unavailable: Redis: Connection closed (4 more requests answered 503 in the last 0.05 s)',
        'No requests answered 503 in the last 0.05 s.'
    ])
    // A later failure starts a new run, reported at once.
    report(new StoreUnavailableError('Redis: Connection closed'))
    expect(lines).toHaveLength(4)
    expect(lines[3]).toStartWith('Session store unavailable: Redis: Connection closed (further ones')
})

test('a count not told yet is told when the app stops, and nothing after', async () => {
    const store = memoryStore()
    const warnings: string[] = []
    // Elysia runs its stop hooks only for a server that listens.
    const app = createApp({ state: { secret: SECRET, store }, warn: (line) => warnings.push(line) }).listen({
        port: 0,
        hostname: '127.0.0.1'
    })
    const user = client(app)
    await user.post('/api/increment')
    store.save(sessionIdOf(user.cookie), JSON.stringify({ v: 2, s: {}, p: {} }), 60_000)
    for (let i = 0; i < 3; i++) expect((await user.post('/api/increment')).status).toBe(503)
    await app.stop()
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toEndWith('(2 more requests answered 503 before the app stopped)')
    await Bun.sleep(50)
    expect(warnings).toHaveLength(2)
})

test('the app reports its store down once for a burst of failed requests', async () => {
    const down = await unreachableRedisStore()
    const warnings: string[] = []
    try {
        const user = client(createApp({ state: { secret: SECRET, store: down }, warn: (line) => warnings.push(line) }))
        await user.post('/api/increment')
        for (let i = 0; i < 3; i++) expect((await user.post('/api/increment')).status).toBe(503)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toStartWith('Session store unavailable: Redis: ')
    } finally {
        down.close()
    }
})

test('the app reports state saved by a newer version too: a rollback leaves those users at 503', async () => {
    const store = memoryStore()
    const warnings: string[] = []
    const user = client(createApp({ state: { secret: SECRET, store }, warn: (line) => warnings.push(line) }))
    await user.post('/api/increment')
    store.save(sessionIdOf(user.cookie), JSON.stringify({ v: 2, s: {}, p: {} }), 60_000)
    for (let i = 0; i < 3; i++) expect((await user.post('/api/increment')).status).toBe(503)
    expect(warnings).toEqual([
        'State saved by a newer version of the app was refused: a deploy under way, or a rollback, after which ' +
            "its users get 503 until they start over. This session's state was saved by a newer version of the app " +
            '(state version 2, this instance has 1); nothing was changed. Please try again in a moment. ' +
            '(further ones are counted every 10 s)'
    ])
})

test('a migrate that fails is a bug, logged as one, not reported as an outage', async () => {
    const store = memoryStore()
    const warnings: string[] = []
    const error = spyOn(console, 'error').mockImplementation(() => {})
    try {
        const user = client(createApp({ state: { secret: SECRET, store }, warn: (line) => warnings.push(line) }))
        await user.post('/api/increment')
        const failing = createApp({
            state: {
                secret: SECRET,
                store,
                version: 2,
                migrate: () => {
                    throw new Error('a bug in migrate')
                }
            },
            warn: (line) => warnings.push(line)
        })
        const response = await failing.handle(
            new Request('http://localhost/api/increment', { method: 'POST', headers: { cookie: user.cookie } })
        )
        expect(response.status).toBe(500)
        expect(warnings).toEqual([])
        expect(error).toHaveBeenCalledTimes(1)
    } finally {
        error.mockRestore()
    }
})

test('the app tells why it refused a request as cross-site, once for a burst: a proxy that drops the port refuses every form', async () => {
    const warnings: string[] = []
    const app = createApp({ state: { secret: SECRET }, warn: (line) => warnings.push(line) })
    const behindProxy = { host: 'example.com', origin: 'https://example.com:8443', 'x-forwarded-proto': 'https' }
    for (let i = 0; i < 3; i++) expect((await client(app).post('/api/increment', behindProxy)).status).toBe(403)
    expect((await client(app).post('/api/increment', { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect(warnings).toEqual([
        'Refused POST as cross-site: its Origin, "https://example.com:8443", is not this site, "https://example.com" ' +
            '(behind a proxy, it must pass the Host it was asked for, port included, and X-Forwarded-Proto) ' +
            '(further ones are counted every 10 s)'
    ])
    // Nothing for a request of this site.
    const own = { host: 'example.com:8443', origin: 'https://example.com:8443', 'x-forwarded-proto': 'https' }
    expect((await client(app).post('/api/increment', own)).status).toBe(200)
    expect(warnings).toHaveLength(1)
})

test('a refusal the browser decided says so', async () => {
    const lines: string[] = []
    const app = createApp({ state: { secret: SECRET }, warn: (line) => lines.push(line) })
    expect((await client(app).post('/api/increment', { 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect(lines).toEqual([
        'Refused POST as cross-site: the browser says so (Sec-Fetch-Site: "same-site") (further ones are counted every 10 s)'
    ])
})
