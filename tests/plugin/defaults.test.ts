import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { scopedState } from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

describe('default values', () => {
    test('an array default is never shared between users', async () => {
        const app = stateApp()
        const a = client(app)
        const b = client(app)
        expect(await (await a.post('/tag/red')).text()).toBe('red')
        expect(await (await b.post('/tag/blue')).text()).toBe('blue')
        expect(await a.text('/tags')).toBe('red')
        expect(await client(app).text('/tags')).toBe('')
    })

    test('users whose stored state is byte for byte the same share nothing', async () => {
        // Reads of an unchanged record share one parse of it: neither reading nor writing
        // through one user may reach the other.
        const app = stateApp()
        const [a, b] = [client(app), client(app)]
        for (const user of [a, b]) {
            await user.post('/increment')
            await user.post('/cart/book')
        }
        expect(await a.text('/count')).toBe('1')
        expect(await b.text('/count')).toBe('1')
        await a.post('/increment')
        await a.post('/cart/pen')
        expect([await a.text('/count'), await a.text('/cart')]).toEqual(['2', 'book,pen'])
        expect([await b.text('/count'), await b.text('/cart')]).toEqual(['1', 'book'])
    })

    test('an object default is fresh again after a reset', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/cart/book')
        await user.post('/full-reset')
        expect(await user.text('/cart')).toBe('')
        await user.post('/cart/pen')
        expect(await user.text('/cart')).toBe('pen')
    })

    test('the setup object itself is never mutated', async () => {
        const setup = { list: { value: ['seed'] } }
        const app = new Elysia()
            .use(scopedState(setup, { secret: 'x'.repeat(32) }))
            .post('/', ({ scopedStore }) => scopedStore.list.push('more'))
        await client(app).post('/')
        expect(setup.list.value).toEqual(['seed'])
    })

    test('an object without a prototype is a plain object: accepted as a default and as a value', async () => {
        const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
        const app = new Elysia()
            .use(scopedState({ options: { value: bare as object } }, { secret: 'x'.repeat(32) }))
            .post('/set', ({ scopedStore }) => {
                scopedStore.options = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2 })
                return 'set'
            })
            .get('/options', ({ scopedStore }) => scopedStore.options)
        const user = client(app)
        expect(await (await user.get('/options')).json()).toEqual({ a: 1 })
        expect((await user.post('/set')).status).toBe(200)
        expect(await (await user.get('/options')).json()).toEqual({ b: 2 })
    })

    test.each([
        ['a Date', { when: { value: new Date() } }, "'when'"],
        ['a Map', { lookup: { value: new Map() } }, "'lookup'"],
        ['a function', { fn: { value: () => 1 } }, "'fn'"],
        ['undefined', { nothing: { value: undefined } }, "'nothing'"],
        ['NaN', { ratio: { value: Number.NaN } }, "'ratio'"],
        ['a nested class instance', { deep: { value: { inner: [new URL('http://x')] } } }, 'deep.inner[0]']
    ])('a default holding %s is refused at creation, naming the key', (_, setup, named) => {
        expect(() => scopedState(setup as never, { secret: 'x'.repeat(32) })).toThrow(named)
    })

    test('an array is refused for any bad element, not only its last one', () => {
        expect(() => scopedState({ ratios: { value: [Number.NaN, 1] } }, { secret: 'x'.repeat(32) })).toThrow(
            'ratios[0] holds NaN'
        )
    })

    test('a __proto__ key is refused at creation', () => {
        const setup = JSON.parse('{ "__proto__": { "value": 1 } }')
        expect(() => scopedState(setup, { secret: 'x'.repeat(32) })).toThrow(
            "scopedState: '__proto__' cannot be a state key."
        )
    })

    test('a __proto__ key written in an object literal, which sets its prototype, does not compile and is refused at creation', () => {
        // @ts-expect-error: typed as a key, it would read Object.prototype
        expect(() => scopedState({ __proto__: { value: 1 }, count: { value: 0 } }, { secret: 'x'.repeat(32) })).toThrow(
            "'__proto__' cannot be a state key"
        )
    })

    test('a circular default is refused at creation', () => {
        const loop: Record<string, unknown> = {}
        loop.self = loop
        expect(() => scopedState({ loop: { value: loop } }, { secret: 'x'.repeat(32) })).toThrow(
            'refers back to itself'
        )
    })
})
