/**
 * How a request reads its session's record: parsed at most once per request; a short record's
 * parse shared by the session's requests (frozen), a long one's the request's own.
 */
import { afterEach, expect, spyOn, test } from 'bun:test'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

interface Line {
    product: string
    quantity: number
}

const app = () =>
    new Elysia()
        .use(
            scopedState(
                {
                    count: { value: 0 },
                    theme: { value: 'light', preserve: true },
                    lines: { value: [] as Line[], preserve: true }
                },
                { secret: SECRET }
            )
        )
        .post('/fill/:n', ({ scopedStore, params }) => {
            scopedStore.lines = Array.from({ length: Number(params.n) }, (_, i) => ({ product: `p${i}`, quantity: 1 }))
            return 'filled'
        })
        .get('/summary', ({ scopedStore }) => `${scopedStore.count} ${scopedStore.theme} ${scopedStore.count + 1}`)
        .post('/more', ({ scopedStore }) => {
            const [first] = scopedStore.lines
            if (first) first.quantity++
            return String(first?.quantity)
        })
        .get('/first', ({ scopedStore }) => String(scopedStore.lines[0]?.quantity))

const spies: { mockRestore(): void }[] = []
afterEach(() => {
    for (const spy of spies.splice(0)) spy.mockRestore()
})
/** Counts calls of `JSON.parse` and `structuredClone` while `request` runs. */
const counting = async (request: () => Promise<unknown>) => {
    const parse = spyOn(JSON, 'parse')
    const clone = spyOn(globalThis, 'structuredClone')
    spies.push(parse, clone)
    await request()
    return { parses: parse.mock.calls.length, clones: clone.mock.calls.length }
}

test('a request reading several keys of a long record parses it once', async () => {
    const user = client(app())
    await user.post('/fill/100')
    const { parses } = await counting(() => user.text('/summary'))
    expect(parses).toBe(1)
})

test('a short record is parsed once for all the requests of its session', async () => {
    const user = client(app())
    await user.post('/fill/1')
    await user.text('/summary')
    expect((await counting(() => user.text('/summary'))).parses).toBe(0)
})

test("a long record's values are the request's own: changed in place without a copy, and kept from other users", async () => {
    const shared = app()
    const [one, two] = [client(shared), client(shared)]
    // Byte for byte the same records.
    await one.post('/fill/100')
    await two.post('/fill/100')
    const { clones } = await counting(() => one.post('/more'))
    expect(clones).toBe(0)
    expect([await one.text('/first'), await two.text('/first')]).toEqual(['2', '1'])
})

test("a long record saved back under 1 KiB is shared frozen throughout: another tab's value, changed in place by a failed request, reaches no one", async () => {
    const shared = new Elysia()
        .use(scopedState({ list: { value: [] as string[] }, note: { value: '' } }, { secret: SECRET }))
        .get('/page', ({ scopedPageId }) => scopedPageId)
        .post('/add/:item', ({ scopedStore, params }) => {
            scopedStore.list.push(params.item)
            return scopedStore.list.join(',')
        })
        .post('/add-then-fail/:item', ({ scopedStore, params }) => {
            scopedStore.list.push(params.item)
            throw new Error('payment declined')
        })
        .post('/note/:length', ({ scopedStore, params }) => {
            scopedStore.note = 'x'.repeat(Number(params.length))
            return 'noted'
        })
        .get('/list', ({ scopedStore }) => scopedStore.list.join(','))
    const user = client(shared)
    const tab = await user.text('/page', NAVIGATE)
    await user.post('/add/a', inPage(tab))
    // Over 1 KiB (in the default page scope), then back under it: the save becomes the shared parse.
    await user.post('/note/2000')
    await user.post('/note/0')
    expect((await user.post('/add-then-fail/lost', inPage(tab))).status).toBe(500)
    expect(await user.text('/list', inPage(tab))).toBe('a')
    expect(await (await user.post('/add/b', inPage(tab))).text()).toBe('a,b')
})

test('a GET that reverses a list in place saves the new order (GUIDE: what a request saves); toReversed() does not', async () => {
    const shared = new Elysia()
        .use(scopedState({ notes: { value: ['a', 'b', 'c'], preserve: true } }, { secret: SECRET }))
        .get('/in-place', ({ scopedStore }) => scopedStore.notes.reverse().join(','))
        .get('/copy', ({ scopedStore }) => scopedStore.notes.toReversed().join(','))
        .get('/stored', ({ scopedStore }) => scopedStore.notes.join(','))
    const user = client(shared)
    expect(await user.text('/copy')).toBe('c,b,a')
    expect(await user.text('/stored')).toBe('a,b,c')
    expect(await user.text('/in-place')).toBe('c,b,a')
    expect(await user.text('/stored')).toBe('c,b,a')
    expect(await user.text('/in-place')).toBe('a,b,c')
})
