/**
 * How a request reads its session's record: parsed at most once per request; a short record's
 * parse shared by the session's requests (frozen), a long one's the request's own.
 */
import { afterEach, expect, spyOn, test } from 'bun:test'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
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
