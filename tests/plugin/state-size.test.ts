/**
 * `scopedStateSize()`: a handler learns the state's size as the save would store it, to refuse or
 * trim a change with its own answer before the save refuses it with 413.
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { memoryStore, type ScopedStateOptions, scopedState } from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE, sessionIdOf } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

const setup = {
    text: { value: '' },
    undo: { value: [] as string[] },
    theme: { value: 'light', preserve: true }
}

const editorApp = (options: ScopedStateOptions<typeof setup>) =>
    new Elysia()
        .use(scopedState(setup, { secret: SECRET, ...options }))
        .get('/page', ({ scopedPageId }) => scopedPageId)
        .get('/text', ({ scopedStore }) => scopedStore.text)
        .get('/size', ({ scopedStateSize }) => scopedStateSize())
        .post('/type/:text', ({ scopedStore, scopedStateSize, params }) => {
            scopedStore.text = params.text
            return scopedStateSize()
        })
        .post('/paste/:text', ({ scopedStore, scopedStateSize, params, status }) => {
            scopedStore.text += params.text
            const { ownBytes, limit } = scopedStateSize()
            if (ownBytes > limit) throw status(422, 'That paste would not fit: the text was kept as it was.')
            return scopedStore.text
        })
        .post('/edit/:text', ({ scopedStore, scopedStateSize, params }) => {
            scopedStore.undo.push(scopedStore.text)
            scopedStore.text = params.text
            while (scopedStore.undo.length > 0 && scopedStateSize().ownBytes > scopedStateSize().limit)
                scopedStore.undo.shift()
            return String(scopedStore.undo.length)
        })
        .post('/logout', ({ destroyScopedSession, scopedStateSize }) => {
            destroyScopedSession()
            return scopedStateSize()
        })
        .post('/ask-then-type/:text', ({ scopedStore, scopedStateSize, params }) => {
            scopedStateSize()
            const theme = scopedStore.theme
            scopedStore.text = params.text
            return theme
        })
        .post('/type-then-read/:text', ({ scopedStore, scopedStateSize, params, query }) => {
            scopedStore.text = params.text
            const size = query.ask === 'size' ? scopedStateSize() : undefined
            return { size, theme: scopedStore.theme }
        })
        .post('/try-then-undo/:text', ({ scopedStore, scopedStateSize, params }) => {
            scopedStore.text = params.text
            scopedStateSize()
            scopedStore.text = ''
            return 'undone'
        })

const sizeOf = async (response: Response) =>
    (await response.json()) as { bytes: number; ownBytes: number; limit: number }

test('the size a handler reads after its change is the size the save stores, and the limit is maxStateBytes', async () => {
    const store = memoryStore()
    const user = client(editorApp({ store, maxStateBytes: 4_000 }))
    const page = await user.text('/page', NAVIGATE)
    const size = await sizeOf(await user.post(`/type/${encodeURIComponent('héllo €')}`, inPage(page)))
    const stored = store.load(sessionIdOf(user.cookie), 60_000) as string
    expect(size).toEqual({ bytes: Buffer.byteLength(stored), ownBytes: Buffer.byteLength(stored), limit: 4_000 })
    expect(await sizeOf(await user.get('/size', inPage(page)))).toEqual(size)
})

test('a handler refuses a change with its own answer where the save would answer 413, and the state stays', async () => {
    const user = client(editorApp({ maxStateBytes: 200 }))
    const page = await user.text('/page', NAVIGATE)
    expect(await (await user.post('/paste/draft', inPage(page))).text()).toBe('draft')
    const refused = await user.post(`/paste/${'x'.repeat(300)}`, inPage(page))
    expect(refused.status).toBe(422)
    expect(await refused.text()).toBe('That paste would not fit: the text was kept as it was.')
    expect(await user.text('/text', inPage(page))).toBe('draft')
})

test('a handler trims its undo history until the state fits, where the save alone would refuse it', async () => {
    const store = memoryStore()
    const user = client(editorApp({ store, maxStateBytes: 350 }))
    const page = await user.text('/page', NAVIGATE)
    for (const text of ['a'.repeat(80), 'b'.repeat(80), 'c'.repeat(80)])
        expect((await user.post(`/edit/${text}`, inPage(page))).status).toBe(200)
    // Four texts of 80 bytes, and the record around them, are over 350 bytes: the two oldest go.
    const kept = await user.post(`/edit/${'d'.repeat(80)}`, inPage(page))
    expect(kept.status).toBe(200)
    expect(await kept.text()).toBe('2')
    expect(Buffer.byteLength(store.load(sessionIdOf(user.cookie), 60_000) as string)).toBeLessThanOrEqual(350)
    expect(await user.text('/text', inPage(page))).toBe('d'.repeat(80))
})

test("bytes counts the other tabs' page scopes, which the save drops to fit; ownBytes does not", async () => {
    const user = client(editorApp({ maxStateBytes: 200 }))
    const first = await user.text('/page', NAVIGATE)
    await user.post(`/type/${'a'.repeat(100)}`, inPage(first))
    const second = await user.text('/page', NAVIGATE)
    const size = await sizeOf(await user.post(`/type/${'b'.repeat(100)}`, inPage(second)))
    const alone = JSON.stringify({ s: {}, p: { [second.split('.')[0] as string]: { text: 'b'.repeat(100) } } })
    expect(size.ownBytes).toBe(alone.length)
    expect(size.bytes).toBeGreaterThan(size.limit)
    // Saved all the same, as `ownBytes` said: the first tab's scope was dropped to fit.
    expect(await user.text('/text', inPage(second))).toBe('b'.repeat(100))
    expect(await user.text('/text', inPage(first))).toBe('')
})

test("asking for the size decides nothing: a change undone after it drops no other tab's scope", async () => {
    const user = client(editorApp({ maxPages: 1 }))
    const first = await user.text('/page', NAVIGATE)
    await user.post('/type/kept', inPage(first))
    const second = await user.text('/page', NAVIGATE)
    expect(await (await user.post('/try-then-undo/gone', inPage(second))).text()).toBe('undone')
    expect(await user.text('/text', inPage(first))).toBe('kept')
})

test('asking for the size stores nothing more: a default read after it stays out of the record, as without asking', async () => {
    const store = memoryStore()
    const user = client(editorApp({ store }))
    const page = await user.text('/page', NAVIGATE)
    expect(await (await user.post('/ask-then-type/kept', inPage(page))).text()).toBe('light')
    const stored = JSON.parse(store.load(sessionIdOf(user.cookie), 60_000) as string)
    expect(stored).toEqual({ s: {}, p: { [page.split('.')[0] as string]: { text: 'kept' } } })
})

test('a key first read after a change is stored with its default, asked the size or not: an answer before the read did not count it', async () => {
    for (const ask of ['', 'size']) {
        const store = memoryStore()
        const user = client(editorApp({ store }))
        const { size } = (await (await user.post(`/type-then-read/kept?ask=${ask}`)).json()) as {
            size: { bytes: number }
        }
        const stored = store.load(sessionIdOf(user.cookie), 60_000) as string
        expect(JSON.parse(stored)).toEqual({ s: { theme: 'light' }, p: { _: { text: 'kept' } } })
        if (ask) expect(Buffer.byteLength(stored)).toBeGreaterThan(size.bytes)
    }
})

test('after destroyScopedSession() the state takes nothing: the save deletes it', async () => {
    const user = client(editorApp({}))
    await user.post('/type/kept')
    expect(await sizeOf(await user.post('/logout'))).toEqual({ bytes: 0, ownBytes: 0, limit: 16_384 })
})
