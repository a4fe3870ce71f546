/**
 * A request that breaks a state rule fails clearly and leaves the stored state as it was.
 * Values that are not JSON and state over the size limit: see the store contract suite.
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { memoryStore, scopedState } from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE, sessionIdOf } from '../helpers/client'
import { SECRET, stateApp } from '../helpers/plugin-app'

/** Each POST of `problems` answers 500 "Cannot store <its problem>…". */
const expectRefused = async (user: ReturnType<typeof client>, problems: Record<string, string>) => {
    for (const [path, problem] of Object.entries(problems)) {
        const response = await user.post(path)
        expect(response.status).toBe(500)
        expect(await response.text()).toStartWith(`Cannot store ${problem}`)
    }
}

test('an unknown key cannot be written', async () => {
    const app = stateApp().post('/unknown', ({ scopedStore }) => {
        ;(scopedStore as unknown as Record<string, number>).nope = 1
        return 'written?'
    })
    const user = client(app)
    await user.post('/increment')
    const response = await user.post('/unknown')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain("'nope' is not a key of the state setup")
    expect(await user.text('/count')).toBe('1')
})

test('a handler that throws writes nothing', async () => {
    const app = stateApp().post('/fail', ({ scopedStore }) => {
        scopedStore.count = 99
        throw new Error('boom')
    })
    const user = client(app)
    await user.post('/increment')
    expect((await user.post('/fail')).status).toBe(500)
    expect(await user.text('/count')).toBe('1')
})

test('an error status thrown discards the change; returned, it keeps it (only a throw discards)', async () => {
    const app = stateApp()
        .post('/refuse-thrown', ({ scopedStore, status }) => {
            scopedStore.count = 99
            throw status(400, 'refused')
        })
        .post('/refuse-returned', ({ scopedStore, status }) => {
            scopedStore.count = 42
            return status(400, 'refused')
        })
    const user = client(app)
    await user.post('/increment')
    expect((await user.post('/refuse-thrown')).status).toBe(400)
    expect(await user.text('/count')).toBe('1')
    expect((await user.post('/refuse-returned')).status).toBe(400)
    expect(await user.text('/count')).toBe('42')
})

test('the size limit counts UTF-8 bytes, and a record of exactly maxStateBytes is kept', async () => {
    const exact = JSON.stringify({ s: {}, p: { _: { tags: ['x'] } } }).length
    const user = client(stateApp({ maxStateBytes: exact }))
    expect((await user.post('/tag/x')).status).toBe(200)
    expect(await user.text('/tags')).toBe('x')
    // 30 characters, 90 bytes: over 100 bytes with the record around them.
    const euro = client(stateApp({ maxStateBytes: 100 }))
    expect((await euro.post(`/tag/${encodeURIComponent('€'.repeat(30))}`)).status).toBe(413)
})

test('a record of 3-byte characters is counted to the byte, though its JSON has fewer characters than half the limit', async () => {
    const euros = '€'.repeat(60)
    const bytes = Buffer.byteLength(JSON.stringify({ s: {}, p: { _: { tags: [euros] } } }))
    for (const [limit, status] of [
        [bytes - 1, 413],
        [bytes, 200]
    ]) {
        const user = client(stateApp({ maxStateBytes: limit }))
        expect([limit, (await user.post(`/tag/${encodeURIComponent(euros)}`)).status]).toEqual([limit, status])
    }
})

test('a record over a lowered maxStateBytes may still shrink; a change that grows it is refused', async () => {
    const store = memoryStore()
    const before = client(stateApp({ store }))
    await before.post(`/theme/${'t'.repeat(100)}`)
    await before.post(`/tag/${'x'.repeat(300)}`)
    const stored = () => store.load(sessionIdOf(before.cookie), 60_000) as string
    const large = stored().length

    // Redeployed with a lower limit: the user's record is over it.
    const user = client(
        stateApp({ store, maxStateBytes: 200 }).get('/page', () => 'reads no state'),
        before.cookie
    )
    expect(await (await user.post('/theme/dark')).text()).toBe('dark')
    // 100 't's became 'dark': 96 bytes fewer, still over the limit.
    expect(stored().length).toBe(large - 96)
    expect((await user.post('/tag/y')).status).toBe(413)
    // A page load drops the default page scope, which holds the tags.
    expect((await user.get('/page', NAVIGATE)).status).toBe(200)
    expect(JSON.parse(stored())).toEqual({ s: { theme: 'dark' }, p: {} })
    expect(await (await user.post('/tag/y')).text()).toBe('y')
})

test('a login carries preserved keys over a lowered maxStateBytes: the record it moves grows nothing', async () => {
    const store = memoryStore()
    const before = client(stateApp({ store }))
    await before.post(`/theme/${'t'.repeat(300)}`)
    const user = client(stateApp({ store, maxStateBytes: 200 }), before.cookie)
    // Else the user, refused at every login, could never sign in again.
    expect((await user.post('/login')).status).toBe(200)
    expect(sessionIdOf(user.cookie)).not.toBe(sessionIdOf(before.cookie))
    expect((await (await user.get('/state')).json()).theme).toBe('t'.repeat(300))
})

test('an in-place change by a request that fails does not reach the next request', async () => {
    const app = stateApp().post('/push-then-fail', ({ scopedStore }) => {
        scopedStore.tags.push('b')
        throw new Error('boom')
    })
    const user = client(app)
    await user.post('/tag/a')
    expect(await user.text('/tags')).toBe('a')
    expect((await user.post('/push-then-fail')).status).toBe(500)
    expect(await user.text('/tags')).toBe('a')
})

test('an object property set to undefined is left out, as JSON leaves it out; undefined elsewhere is refused', async () => {
    interface Note {
        text: string
        due?: string
    }
    const app = new Elysia()
        .use(scopedState({ notes: { value: [] as Note[] }, count: { value: 0 } }, { secret: SECRET }))
        .post('/add', ({ scopedStore }) => {
            scopedStore.notes.push({ text: 'call', due: 'today' })
            return 'added'
        })
        // What TypeScript lets a handler write for an optional field.
        .post('/undue', ({ scopedStore }) => {
            scopedStore.notes = scopedStore.notes.map((note) => ({ ...note, due: undefined }))
            return 'saved'
        })
        .post('/in-array', ({ scopedStore }) => {
            scopedStore.notes = [undefined] as unknown as Note[]
            return 'saved?'
        })
        .post('/as-value', ({ scopedStore }) => {
            scopedStore.count = undefined as unknown as number
            return 'saved?'
        })
        .get('/notes', ({ scopedStore }) => JSON.stringify(scopedStore.notes))
    const user = client(app)
    await user.post('/add')
    expect((await user.post('/undue')).status).toBe(200)
    expect(await user.text('/notes')).toBe('[{"text":"call"}]')
    await expectRefused(user, {
        '/in-array': 'scopedStore.notes[0] holds undefined',
        '/as-value': 'scopedStore.count holds undefined'
    })
    expect(await user.text('/notes')).toBe('[{"text":"call"}]')
})

test('a value made unstorable in place (a cycle, a BigInt) fails naming where, and keeps the stored state', async () => {
    const app = stateApp()
        .post('/cycle', ({ scopedStore }) => {
            const cart = scopedStore.cart as { items: string[]; self?: unknown }
            cart.self = cart
            return 'saved?'
        })
        .post('/bigint', ({ scopedStore }) => {
            ;(scopedStore.cart as unknown as Record<string, unknown>).total = 10n
            return 'saved?'
        })
    const user = client(app)
    await user.post('/cart/book')
    await expectRefused(user, {
        '/cycle': 'scopedStore.cart.self refers back to itself',
        '/bigint': 'scopedStore.cart.total holds a bigint'
    })
    expect(await user.text('/cart')).toBe('book')
})

test('a value that is not JSON is refused in any key of an object, not only its last', async () => {
    const app = stateApp().post('/dated-cart', ({ scopedStore }) => {
        scopedStore.cart = { when: new Date(0), items: ['a'] } as never
        return 'saved?'
    })
    const user = client(app)
    await expectRefused(user, { '/dated-cart': 'scopedStore.cart.when holds a Date' })
    expect(await user.text('/cart')).toBe('')
})

test('a property JSON would leave out (a symbol key, one not enumerable) fails naming it, and keeps the stored state', async () => {
    const app = stateApp()
        .post('/symbol-keyed', ({ scopedStore }) => {
            scopedStore.cart = { items: ['a'], [Symbol('discount')]: 10 }
            return 'saved?'
        })
        .post('/hidden', ({ scopedStore }) => {
            scopedStore.cart = Object.defineProperty({ items: ['a'] }, 'coupon', { value: 'SAVE10' })
            return 'saved?'
        })
    const user = client(app)
    await user.post('/cart/book')
    await expectRefused(user, {
        '/symbol-keyed': 'scopedStore.cart has a property JSON leaves out, Symbol(discount)',
        '/hidden': "scopedStore.cart has a property JSON leaves out, 'coupon'"
    })
    expect(await user.text('/cart')).toBe('book')
})

test('over maxStateBytes, other tabs’ scopes go only until the record fits, to the byte', async () => {
    const scope = { tags: ['x'] }
    // Page keys are 12 characters: a record of two tabs' scopes is exactly the limit.
    const exact = JSON.stringify({ s: {}, p: { aaaaaaaaaaaa: scope, bbbbbbbbbbbb: scope } }).length
    const user = client(stateApp({ maxStateBytes: exact }))
    const tabs: string[] = []
    for (let i = 0; i < 3; i++) tabs.push((await (await user.get('/state', NAVIGATE)).json()).page)
    for (const tab of tabs) expect((await user.post('/tag/x', inPage(tab))).status).toBe(200)
    expect(await Promise.all(tabs.map((tab) => user.text('/tags', inPage(tab))))).toEqual(['', 'x', 'x'])
})

test('a value nested too deeply to check (user-supplied JSON) fails naming the key, and keeps the stored state', async () => {
    const app = stateApp().post('/deep', ({ scopedStore }) => {
        let nested: unknown = 'x'
        for (let i = 0; i < 200_000; i++) nested = [nested]
        scopedStore.tags = nested as string[]
        return 'saved?'
    })
    const user = client(app)
    await user.post('/tag/kept')
    await expectRefused(user, { '/deep': 'scopedStore.tags is nested too deeply' })
    expect(await user.text('/tags')).toBe('kept')
})
