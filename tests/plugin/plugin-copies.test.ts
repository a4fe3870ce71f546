/**
 * Two copies of the plugin's folder in one process (one vendored by a dependency, or another
 * version beside the template's): each keeps its own default stores, which `bun --hot` keeps
 * across reloads (hot-reload.test.ts). A store made by another copy may lack what this one calls.
 */
import { afterAll, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

const PLUGIN = join(import.meta.dir, '../../plugins/scoped-state')
const folder = mkdtempSync(join(tmpdir(), 'plugin-copy-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** A copy of the folder from before `peekScopedSession`: its memory store has no `peek`. */
const olderCopy = async () => {
    const copy = join(folder, 'scoped-state')
    cpSync(PLUGIN, copy, { recursive: true })
    // The copy's `elysia` is the template's, as one install of it serves both.
    symlinkSync(join(import.meta.dir, '../../node_modules'), join(folder, 'node_modules'))
    const memory = join(copy, 'stores/memory.ts')
    const source = readFileSync(memory, 'utf8')
    const withoutPeek = source.replace('        peek(id) {', '        unknownToTheEngine(id) {')
    expect(withoutPeek).not.toBe(source)
    writeFileSync(memory, withoutPeek)
    return (await import(join(copy, 'index.ts'))) as { scopedState: typeof scopedState }
}

test("another copy's default store, made first for the same cookie name, is not this copy's", async () => {
    const copy = await olderCopy()
    const setup = { count: { value: 0, preserve: true } }
    const legacy = new Elysia({ prefix: '/legacy' })
        .use(copy.scopedState(setup, { secret: SECRET }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
    const current = new Elysia({ prefix: '/current' })
        .use(scopedState(setup, { secret: SECRET }))
        .post('/increment', ({ scopedStore, scopedSessionId }) => {
            scopedStore.count++
            return scopedSessionId()
        })
        .get('/peek/:id', async ({ params, peekScopedSession }) => (await peekScopedSession(params.id)) ?? 'none')
    const app = new Elysia().use(legacy).use(current)
    const user = client(app)
    await user.post('/legacy/increment')
    const id = await (await user.post('/current/increment')).text()
    const peeked = await client(app).get(`/current/peek/${id}`)
    expect(peeked.status).toBe(200)
    expect(await peeked.json()).toEqual({ session: { count: 1 }, pages: [] })
})
