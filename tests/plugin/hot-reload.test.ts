/**
 * Under `bun --hot`, which evaluates the app's modules again in the same process at every
 * save, a visitor keeps their session and its state: the default memory store, the sessions
 * ended in it and the development secret are the process's, not the modules'.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listeningUrls, spawnWatched } from '../helpers/server'

const PLUGIN = join(import.meta.dir, '../../plugins/scoped-state/index.ts')
const folder = mkdtempSync(join(tmpdir(), 'hot-'))
const entry = join(folder, 'app.ts')
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** The developer's file; `edit` stands for what they change between two saves. */
const writeApp = (edit: number) =>
    Bun.write(
        entry,
        `import { Elysia } from 'elysia'
import { scopedState } from ${JSON.stringify(PLUGIN)}
new Elysia()
    .use(scopedState({ count: { value: 0, preserve: true } }, { secret: process.env.SESSION_SECRET }))
    .get('/count', ({ scopedStore }) => String(scopedStore.count))
    .post('/increment', ({ scopedStore }) => String(++scopedStore.count))
    .post('/logout', ({ destroyScopedSession }) => {
        destroyScopedSession()
        return 'signed out'
    })
    .listen({ port: 0, hostname: '127.0.0.1' }, (server) => console.log('edit ${edit} at', server.url.href))
`
    )

/**
 * Runs the app under `bun --hot`: `before(url)` runs, the app's file is saved again, then
 * `after(url, before's result)` runs on the reloaded app. Returns `after`'s result and what the app printed.
 */
const acrossReload = async <Before, After>(
    env: Record<string, string>,
    before: (url: string) => Promise<Before>,
    after: (url: string, seen: Before) => Promise<After>
) => {
    await writeApp(1)
    const { child, output, waitFor } = spawnWatched([process.execPath, '--hot', entry], {
        cwd: join(import.meta.dir, '../..'),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }
    })
    try {
        await waitFor((text) => text.includes('edit 1 at'), 'the start')
        const [url] = listeningUrls(output()) as [string]
        const seen = await before(url)
        await writeApp(2)
        await waitFor((text) => text.includes('edit 2 at'), 'the reload')
        return { result: await after(url, seen), output: output() }
    } finally {
        child.kill('SIGTERM')
        await child.exited
    }
}

/** A visitor's session cookie after one increment. */
const incremented = async (url: string) => {
    const increment = await fetch(`${url}/increment`, { method: 'POST' })
    expect(await increment.text()).toBe('1')
    return increment.headers.getSetCookie()[0]?.split(';')[0] ?? ''
}

/** The count a visitor sees after one increment, a save of the app's file, and a read; and what the app printed. */
const countAfterReload = async (env: Record<string, string>) => {
    const { result, output } = await acrossReload(env, incremented, async (url, cookie) => {
        const read = await fetch(`${url}/count`, { headers: { cookie } })
        expect(read.headers.getSetCookie()).toEqual([])
        return read.text()
    })
    return { count: result, output }
}

test('the default store outlives a reload', async () => {
    const secret = crypto.getRandomValues(Buffer.alloc(32)).toString('base64url')
    expect((await countAfterReload({ SESSION_SECRET: secret })).count).toBe('1')
}, 60_000)

test('a session ended before a reload stays ended: its cookie, sent again in its grace minute, is refused', async () => {
    const secret = crypto.getRandomValues(Buffer.alloc(32)).toString('base64url')
    const { result } = await acrossReload(
        { SESSION_SECRET: secret },
        async (url) => {
            const cookie = await incremented(url)
            expect((await fetch(`${url}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200)
            return cookie
        },
        // A request sent before the logout's answer came (another tab's): in its grace minute, refused.
        async (url, cookie) => (await fetch(`${url}/increment`, { method: 'POST', headers: { cookie } })).status
    )
    expect(result).toBe(409)
}, 60_000)

test('the development secret outlives a reload: the cookie still verifies, and its warning is said once', async () => {
    const { count, output } = await countAfterReload({})
    expect(count).toBe('1')
    expect(output.match(/no secret set/g)).toHaveLength(1)
}, 60_000)

test("a short secret's warning is said once, not again at each reload", async () => {
    const { count, output } = await countAfterReload({ SESSION_SECRET: 'short' })
    expect(count).toBe('1')
    expect(output.match(/is shorter than 32 bytes/g)).toHaveLength(1)
}, 60_000)
