/**
 * Type-level tests: `bun run typecheck` compiles this file, so every
 * `@ts-expect-error` below fails the build if the mistake it guards ever compiles.
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import {
    type ScopedStateOptions,
    type ScopedStateSize,
    type ScopedStore,
    type SetupCheck,
    type StateSetup,
    scopedState
} from '../../plugins/scoped-state'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T) => {}

const setup = {
    count: { value: 0 },
    theme: { value: 'light' as 'light' | 'dark', preserve: true },
    tags: { value: [] as string[] }
}

test('scopedStore is inferred from the setup, and misuse does not compile', async () => {
    const app = new Elysia()
        .use(scopedState(setup, { secret: SECRET }))
        .post('/', ({ scopedStore, resetScopedStore, regenerateScopedSession, scopedSessionId, endScopedSession }) => {
            assertType<Equal<typeof scopedStore, ScopedStore<typeof setup>>>(true)
            assertType<Equal<typeof scopedStore.count, number>>(true)
            assertType<Equal<typeof scopedStore.theme, 'light' | 'dark'>>(true)
            assertType<Equal<typeof scopedStore.tags, string[]>>(true)

            // @ts-expect-error: not a key of the setup
            scopedStore.missing
            // @ts-expect-error: count is a number
            scopedStore.count = 'one'
            // @ts-expect-error: not one of the theme's values
            scopedStore.theme = 'purple'
            // @ts-expect-error: tags holds strings
            scopedStore.tags.push(1)
            // @ts-expect-error: the flag is a boolean
            resetScopedStore('everything')
            // Never run: a login's options are checked as written.
            if (scopedStore.count < 0) {
                // @ts-expect-error: persistent is a boolean
                regenerateScopedSession({ persistent: 'no' })
                // @ts-expect-error: not an option of the login
                regenerateScopedSession({ remember: true })
                regenerateScopedSession({ persistent: false })
                const id: string = scopedSessionId()
                // @ts-expect-error: a session is ended by its id, a string
                endScopedSession(1)
                void endScopedSession(id)
            }

            scopedStore.count += 1
            scopedStore.theme = 'dark'
            return scopedStore.count
        })
    expect(await (await client(app).post('/')).text()).toBe('1')
})

test('a setup written inline, as in the spec, types its keys by kind: a boolean default can be toggled', async () => {
    const app = new Elysia()
        .use(
            scopedState(
                {
                    dark: { value: false, preserve: true },
                    count: { value: 0 },
                    name: { value: '' },
                    seen: { value: null },
                    picked: { value: null as string | null },
                    signedIn: { value: false as false | { name: string } }
                },
                { secret: SECRET }
            )
        )
        .post('/', ({ scopedStore }) => {
            assertType<Equal<typeof scopedStore.dark, boolean>>(true)
            assertType<Equal<typeof scopedStore.count, number>>(true)
            assertType<Equal<typeof scopedStore.name, string>>(true)
            assertType<Equal<typeof scopedStore.seen, null>>(true)
            assertType<Equal<typeof scopedStore.picked, string | null>>(true)
            assertType<Equal<typeof scopedStore.signedIn, false | { name: string }>>(true)
            // @ts-expect-error: the union written is the key's type: only a lone `false` widens to boolean
            scopedStore.signedIn = true
            // @ts-expect-error: a bare null default holds only null: give it the type it stands in for
            scopedStore.seen = 'x'
            scopedStore.picked = 'x'
            scopedStore.dark = !scopedStore.dark
            return String(scopedStore.dark)
        })
    expect(await (await client(app).post('/')).text()).toBe('true')
})

test("peekScopedSession's answer is typed from the setup: preserved keys in session, the others in each page", async () => {
    const app = new Elysia()
        .use(
            scopedState(
                { user: { value: '', preserve: true }, step: { value: 0 }, done: { value: false, preserve: false } },
                { secret: SECRET }
            )
        )
        .get('/', async ({ peekScopedSession }) => {
            const seen = await peekScopedSession('A'.repeat(24))
            assertType<
                Equal<typeof seen, { session: { user: string }; pages: { step: number; done: boolean }[] } | undefined>
            >(true)
            // Never run: no session has that id.
            if (seen) {
                // @ts-expect-error: a key without preserve lives in a page scope, not in the session's
                seen.session.step
                // @ts-expect-error: a session is read by its id, a string
                void peekScopedSession(1)
            }
            return seen === undefined ? 'none' : 'some'
        })
    expect(await (await client(app).get('/')).text()).toBe('none')
})

test("scopedStateSize's answer is typed: bytes, ownBytes and the limit, all numbers", async () => {
    const app = new Elysia().use(scopedState(setup, { secret: SECRET })).get('/', ({ scopedStateSize }) => {
        const size = scopedStateSize()
        assertType<Equal<typeof size, ScopedStateSize>>(true)
        assertType<Equal<ScopedStateSize, { bytes: number; ownBytes: number; limit: number }>>(true)
        // @ts-expect-error: it takes no argument: the size is this request's own
        scopedStateSize('A'.repeat(24))
        return String(size.limit)
    })
    expect(await client(app).text('/')).toBe('16384')
})

test('a setup declared apart, whose preserve is typed boolean, gives peekScopedSession optional keys in both scopes', async () => {
    const app = new Elysia().use(scopedState(setup, { secret: SECRET })).get('/', async ({ peekScopedSession }) => {
        const seen = await peekScopedSession('A'.repeat(24))
        type Theme = 'light' | 'dark'
        assertType<
            Equal<
                typeof seen,
                { session: { theme?: Theme }; pages: { count: number; tags: string[]; theme?: Theme }[] } | undefined
            >
        >(true)
        return seen === undefined ? 'none' : 'some'
    })
    expect(await (await client(app).get('/')).text()).toBe('none')
})

test('a setup declared apart with `satisfies StateSetup` keeps each key in its scope, and a misspelt field fails where it is written', async () => {
    const apart = {
        user: { value: '', preserve: true },
        step: { value: 0 },
        done: { value: false }
    } satisfies StateSetup
    const app = new Elysia().use(scopedState(apart, { secret: SECRET })).get('/', async ({ peekScopedSession }) => {
        const seen = await peekScopedSession('A'.repeat(24))
        assertType<
            Equal<typeof seen, { session: { user: string }; pages: { step: number; done: boolean }[] } | undefined>
        >(true)
        return seen === undefined ? 'none' : 'some'
    })
    expect(await client(app).text('/')).toBe('none')
    // @ts-expect-error: `preserve`, misspelt, caught in the declaration itself
    const misspelt = { theme: { value: 'light', preserved: true } } satisfies StateSetup
    // @ts-expect-error: and in the call
    expect(() => scopedState(misspelt, { secret: SECRET })).toThrow("'theme' has an unknown field 'preserved'")
})

test('a setup entry without a value, or with undefined, does not compile', () => {
    // @ts-expect-error: each key is { value, preserve? }
    expect(() => scopedState({ count: 0 }, { secret: SECRET })).toThrow("'count' must be { value, preserve? }")
    // @ts-expect-error: state cannot hold undefined
    expect(() => scopedState({ note: { value: undefined } }, { secret: SECRET })).toThrow("'note'")
})

test('a misspelt field of a key does not compile, and is refused at creation', () => {
    // @ts-expect-error: `preserve`, misspelt, would leave the key page-scoped without a word
    expect(() => scopedState({ theme: { value: 'light', preserved: true } }, { secret: SECRET })).toThrow(
        "'theme' has an unknown field 'preserved'"
    )
    const apart = { cart: { value: [] as string[], preserv: true } }
    // @ts-expect-error: the same, in a setup declared apart
    expect(() => scopedState(apart, { secret: SECRET })).toThrow("'cart' has an unknown field 'preserv'")
})

test('a default that is not a JSON value does not compile, and is refused at creation', () => {
    // @ts-expect-error: a Date would read back as a string
    expect(() => scopedState({ at: { value: new Date() } }, { secret: SECRET })).toThrow('at holds a Date')
    // @ts-expect-error: a Map would read back as {}
    expect(() => scopedState({ seen: { value: { ids: new Map() } } }, { secret: SECRET })).toThrow(
        'seen.ids holds a Map'
    )
    // @ts-expect-error: a function cannot be stored
    expect(() => scopedState({ next: { value: () => 1 } }, { secret: SECRET })).toThrow('next holds a Function')
    // @ts-expect-error: a BigInt has no JSON
    expect(() => scopedState({ total: { value: { cents: 0n } } }, { secret: SECRET })).toThrow(
        'total.cents holds a bigint'
    )
    // @ts-expect-error: a symbol has no JSON
    expect(() => scopedState({ tag: { value: { kind: Symbol('a') } } }, { secret: SECRET })).toThrow(
        'tag.kind holds a symbol'
    )
    const discount = Symbol('discount')
    // @ts-expect-error: JSON leaves a symbol key out: it would read back without it
    expect(() => scopedState({ cart: { value: { items: [], [discount]: 10 } } }, { secret: SECRET })).toThrow(
        'cart has a property JSON leaves out, Symbol(discount)'
    )
})

test('a setup written `as const` keeps literal types and still gives a writable store', async () => {
    const frozen = { count: { value: 0 }, on: { value: true }, mode: { value: 'light' } } as const
    const app = new Elysia().use(scopedState(frozen, { secret: SECRET })).post('/', ({ scopedStore }) => {
        assertType<Equal<typeof scopedStore.mode, 'light'>>(true)
        scopedStore.count++
        scopedStore.on = false
        return `${scopedStore.count} ${scopedStore.on}`
    })
    expect(await (await client(app).post('/')).text()).toBe('1 false')
})

test('migrate must return keys of the setup, with their types', () => {
    const options = { secret: SECRET, version: 2 }
    expect(
        scopedState(setup, { ...options, migrate: (saved) => ({ count: Number(saved.count) || 0, theme: 'dark' }) })
    ).toBeInstanceOf(Elysia)

    // @ts-expect-error: count is a number
    scopedState(setup, { ...options, migrate: () => ({ count: 'one' }) })
    // @ts-expect-error: not one of the theme's values
    scopedState(setup, { ...options, migrate: () => ({ theme: 'purple' }) })
    // @ts-expect-error: no key of the setup
    scopedState(setup, { ...options, migrate: () => ({ missing: 1 }) })
    // @ts-expect-error: a misspelt key beside a right one (it would be dropped)
    scopedState(setup, { ...options, migrate: () => ({ count: 1, thme: 'dark' }) })
    // @ts-expect-error: saved values are unknown until checked
    scopedState(setup, { ...options, migrate: (saved) => ({ tags: saved.tags }) })
    // @ts-expect-error: a version is a number
    expect(() => scopedState(setup, { secret: SECRET, version: '2' })).toThrow('version must be a whole number')
})

test('options written apart are typed by the setup they are for', () => {
    const wrap = (options: ScopedStateOptions<typeof setup>) => scopedState(setup, options)
    expect(wrap({ secret: SECRET, version: 2, migrate: () => ({ theme: 'dark' }) })).toBeInstanceOf(Elysia)
    // @ts-expect-error: count is a number
    wrap({ secret: SECRET, version: 2, migrate: () => ({ count: 'one' }) })
})

test('wrappers: options typed without their setup still fit; a generic one checks its setup with SetupCheck', () => {
    const loose = (options: ScopedStateOptions) => scopedState(setup, options)
    expect(loose({ secret: SECRET })).toBeInstanceOf(Elysia)
    const generic = <S extends StateSetup>(given: S & SetupCheck<S>, options: ScopedStateOptions<S>) =>
        scopedState<S>(given, options)
    expect(generic(setup, { secret: SECRET })).toBeInstanceOf(Elysia)
    // @ts-expect-error: the generic wrapper still refuses a misspelt field
    expect(() => generic({ theme: { value: 'light', preserved: true } }, { secret: SECRET })).toThrow('preserved')
})
