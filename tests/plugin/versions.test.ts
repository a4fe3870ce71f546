/**
 * Saved state outlives deploys and restarts. A setup whose shape changed says so with
 * `version`: state saved under an older version goes through `migrate` (or reads as
 * defaults), and state saved by a newer version is refused with 503 and left as it is.
 */
import { afterAll, describe, expect, spyOn, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import {
    memoryStore,
    redisStore,
    type ScopedStateOptions,
    type Store,
    scopedState,
    sqliteStore
} from '../../plugins/scoped-state'
import { client, NAVIGATE, sessionIdOf } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { redisTest, useRedis } from '../helpers/redis'

const redis = useRedis()
const DAY = 86_400_000
const scratch = mkdtempSync(join(tmpdir(), 'versions-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Version 1: the cart holds product ids, and a key that version 2 drops. */
const firstApp = (store: Store) =>
    new Elysia()
        .use(
            scopedState(
                {
                    count: { value: 0 },
                    cart: { value: [] as string[], preserve: true },
                    theme: { value: 'light', preserve: true },
                    legacy: { value: '', preserve: true }
                },
                { secret: SECRET, store }
            )
        )
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .post('/cart/:id', ({ scopedStore, params }) => {
            scopedStore.cart.push(params.id)
            scopedStore.legacy = 'old'
            return scopedStore.cart.length
        })
        .post('/theme/:theme', ({ scopedStore, params }) => {
            scopedStore.theme = params.theme
            return scopedStore.theme
        })
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
        // Two routes that need none of the stored state.
        .get('/page', () => 'a page that reads no state')
        .post('/full-reset', ({ resetScopedStore }) => {
            resetScopedStore(true)
            return 'started over'
        })

type Line = { id: string; quantity: number }

/** Version 2: cart lines with a quantity; `legacy` is gone. */
const secondSetup = {
    count: { value: 0 },
    cart: { value: [] as Line[], preserve: true },
    theme: { value: 'light', preserve: true }
}

const secondApp = (store: Store, options: ScopedStateOptions<typeof secondSetup> = {}) =>
    new Elysia()
        .use(scopedState(secondSetup, { secret: SECRET, store, version: 2, ...options }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
        .get('/page', () => 'a page that reads no state')
        .post('/full-reset', ({ resetScopedStore }) => {
            resetScopedStore(true)
            return 'started over'
        })

/** Product ids become lines of quantity 1; every call is recorded. */
const cartLines = (calls: [Record<string, unknown>, number][]) => (saved: Record<string, unknown>, from: number) => {
    calls.push([saved, from])
    return Array.isArray(saved.cart) ? { cart: saved.cart.map((id: string) => ({ id, quantity: 1 })) } : {}
}

/** A user of version 1 with a mug in the cart, a dark theme and a count of 1. */
const userOfVersionOne = async (store: Store) => {
    const user = client(firstApp(store))
    await user.post('/cart/mug')
    await user.post('/theme/dark')
    await user.post('/increment')
    return { cookie: user.cookie, id: sessionIdOf(user.cookie) }
}

const json = async (response: Response) => {
    expect(response.status).toBe(200)
    return response.json()
}

test('a key added without raising version reads as its default; the saved keys keep their values', async () => {
    const store = memoryStore()
    const { cookie } = await userOfVersionOne(store)
    const grown = new Elysia()
        .use(
            scopedState(
                {
                    count: { value: 0 },
                    cart: { value: [] as string[], preserve: true },
                    theme: { value: 'light', preserve: true },
                    legacy: { value: '', preserve: true },
                    wishlist: { value: [] as string[], preserve: true }
                },
                { secret: SECRET, store }
            )
        )
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
    const state = await json(await client(grown, cookie).get('/state'))
    expect(state).toEqual({ count: 1, cart: ['mug'], theme: 'dark', legacy: 'old', wishlist: [] })
})

test('without migrate, state saved under an older version reads as defaults; the next write saves the new version', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const saved = store.load(id, 60_000)

    const user = client(secondApp(store), cookie)
    expect(await json(await user.get('/state'))).toEqual({ count: 0, cart: [], theme: 'light' })
    // Reading changed nothing; the first write replaces the old record.
    expect(store.load(id, 60_000)).toBe(saved)
    expect(await (await user.post('/increment')).text()).toBe('1')
    expect(JSON.parse(store.load(id, 60_000) as string)).toEqual({ v: 2, s: {}, p: { _: { count: 1 } } })
})

test('migrate upgrades each scope: the keys it returns change, the others are kept, removed keys are dropped', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const calls: [Record<string, unknown>, number][] = []
    const user = client(secondApp(store, { migrate: cartLines(calls) }), cookie)

    expect(await json(await user.get('/state'))).toEqual({
        count: 1,
        cart: [{ id: 'mug', quantity: 1 }],
        theme: 'dark'
    })
    // Once per scope, with the keys as saved: the preserved ones, then the default page scope's.
    expect(calls).toEqual([
        [{ cart: ['mug'], theme: 'dark', legacy: 'old' }, 1],
        [{ count: 1 }, 1]
    ])

    expect(await (await user.post('/increment')).text()).toBe('2')
    expect(JSON.parse(store.load(id, 60_000) as string)).toEqual({
        v: 2,
        s: { cart: [{ id: 'mug', quantity: 1 }], theme: 'dark' },
        p: { _: { count: 2 } }
    })
    // Saved under version 2, the record needs no migration any more.
    const later: [Record<string, unknown>, number][] = []
    expect(
        (await json(await client(secondApp(store, { migrate: cartLines(later) }), cookie).get('/state'))).count
    ).toBe(2)
    expect(later).toEqual([])
})

test('a key dropped, as docs/your-own-app.md\'s "Dropping a demo" says: `migrate: () => ({})` keeps every other key', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const withoutLegacy = {
        count: { value: 0 },
        cart: { value: [] as string[], preserve: true },
        theme: { value: 'light', preserve: true }
    }
    const app = new Elysia()
        .use(scopedState(withoutLegacy, { secret: SECRET, store, version: 2, migrate: () => ({}) }))
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
    const user = client(app, cookie)
    expect(await (await user.post('/increment')).text()).toBe('2')
    expect(JSON.parse(store.load(id, 60_000) as string)).toEqual({
        v: 2,
        s: { cart: ['mug'], theme: 'dark' },
        p: { _: { count: 2 } }
    })
})

test("what migrate returns is copied: an object of the app's own is neither frozen nor shared with the state", async () => {
    const store = memoryStore()
    const { cookie } = await userOfVersionOne(store)
    const starter: Line[] = [{ id: 'welcome-card', quantity: 1 }]
    const user = client(secondApp(store, { migrate: () => ({ cart: starter }) }), cookie)
    expect((await json(await user.get('/state'))).cart).toEqual(starter)
    expect(Object.isFrozen(starter)).toBe(false)
    starter.push({ id: 'pen', quantity: 2 })
    expect((await json(await user.get('/state'))).cart).toEqual([{ id: 'welcome-card', quantity: 1 }])
})

test('a key whose preserve changed starts from its default: its saved values are in the other kind of scope', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const app = new Elysia()
        .use(
            scopedState(
                { count: { value: 0, preserve: true }, theme: { value: 'light' } },
                { secret: SECRET, store, version: 2, migrate: () => ({}) }
            )
        )
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
    const user = client(app, cookie)
    expect(await json(await user.get('/state'))).toEqual({ count: 0, theme: 'light' })
    // Nor are the old values kept where nothing reads them any more.
    expect(await (await user.post('/increment')).text()).toBe('1')
    expect(JSON.parse(store.load(id, 60_000) as string)).toEqual({ v: 2, s: { count: 1 }, p: {} })
})

test('state saved by a newer version answers 503 and is left as it is', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    await client(secondApp(store), cookie).post('/increment')
    const saved = store.load(id, 60_000)

    const older = client(firstApp(store), cookie)
    for (const response of [await older.get('/state'), await older.post('/increment'), await older.post('/cart/pen')]) {
        expect(response.status).toBe(503)
        expect(response.headers.get('retry-after')).toBe('1')
        expect(await response.text()).toBe(
            "This session's state was saved by a newer version of the app (state version 2, this instance has 1); " +
                'nothing was changed. Please try again in a moment.'
        )
    }
    expect(store.load(id, 60_000)).toBe(saved)
    expect(await (await client(secondApp(store), cookie).post('/increment')).text()).toBe('2')
})

test('a record with a field this plugin does not know (a later format) answers 503 and is left as it is', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const saved = JSON.parse(store.load(id, 60_000) as string)
    // A field added, then also a scope in another shape.
    for (const later of [JSON.stringify({ ...saved, f: 2 }), JSON.stringify({ s: saved.s, p: 'packed', f: 2 })]) {
        store.save(id, later, 60_000)
        const user = client(firstApp(store), cookie)
        for (const response of [await user.get('/state'), await user.post('/increment')]) {
            expect(response.status).toBe(503)
            expect(await response.text()).toBe(
                "This session's state was saved by a newer version of the app (its state format); nothing was " +
                    'changed. Please try again in a moment.'
            )
        }
        expect(store.load(id, 60_000)).toBe(later)
    }
})

test('a migrate that returns a value that cannot be stored answers 500 naming the key; nothing is saved', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const saved = store.load(id, 60_000)
    const user = client(secondApp(store, { migrate: () => ({ cart: new Date() as never }) }), cookie)
    for (const response of [await user.get('/state'), await user.post('/increment')]) {
        expect(response.status).toBe(500)
        expect(await response.text()).toStartWith('scopedState: migrate returned scopedStore.cart holds a Date;')
    }
    expect(store.load(id, 60_000)).toBe(saved)
})

test('a migrate that throws answers 500 where the state is read, and leaves it for a mended migrate', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const saved = store.load(id, 60_000)
    const bug = new Error('a bug in migrate')
    const user = client(
        secondApp(store, {
            migrate: () => {
                throw bug
            }
        }),
        cookie
    )
    for (const response of [await user.get('/state'), await user.post('/increment')]) {
        expect(response.status).toBe(500)
        expect(await response.text()).toBe(
            "scopedState: migrate failed on state saved under version 1 (the error is this one's cause); " +
                'the saved state was left as it is.'
        )
    }
    // A page that reads no state loads: it leaves the default page scope, which it cannot read, alone.
    const page = await user.get('/page', NAVIGATE)
    expect(page.status).toBe(200)
    expect(store.load(id, 60_000)).toBe(saved)

    const mended = client(secondApp(store, { migrate: cartLines([]) }), cookie)
    expect(await json(await mended.get('/state'))).toEqual({
        count: 1,
        cart: [{ id: 'mug', quantity: 1 }],
        theme: 'dark'
    })
})

test('a full reset starts over from state this setup cannot read: a failing migrate, a newer version', async () => {
    const store = memoryStore()
    const { cookie, id } = await userOfVersionOne(store)
    const failing = client(
        secondApp(store, {
            migrate: () => {
                throw new Error('a bug in migrate')
            }
        }),
        cookie
    )
    expect(await (await failing.post('/full-reset')).text()).toBe('started over')
    expect(await json(await failing.get('/state'))).toEqual({ count: 0, cart: [], theme: 'light' })
    expect(JSON.parse(store.load(id, 60_000) as string)).toEqual({ v: 2, s: {}, p: {} })

    // Saved under version 2, the record is newer than version 1 can read: a rollback.
    await failing.post('/increment')
    const older = client(firstApp(store), cookie)
    expect((await older.get('/state')).status).toBe(503)
    expect((await older.get('/page', NAVIGATE)).status).toBe(200)
    expect(await (await older.post('/full-reset')).text()).toBe('started over')
    expect(await json(await older.get('/state'))).toEqual({ count: 0, cart: [], theme: 'light', legacy: '' })
})

test('an awaiting full reset of state this setup cannot read, overtaken by another save, gets 409', async () => {
    // Its handler touched the state before awaiting (unreadable, it can only be reset).
    const store = memoryStore()
    const { cookie } = await userOfVersionOne(store)
    const resume = Promise.withResolvers<void>()
    const app = secondApp(store, {
        migrate: () => {
            throw new Error('a bug in migrate')
        }
    }).post('/slow-full-reset', async ({ resetScopedStore }) => {
        resetScopedStore(true)
        await resume.promise
        resetScopedStore(true)
        return 'started over'
    })
    const user = client(app, cookie)
    const slow = user.post('/slow-full-reset')
    expect(await (await user.post('/full-reset')).text()).toBe('started over')
    expect(await (await user.post('/increment')).text()).toBe('1')
    resume.resolve()
    // Its reset meant the state as it stood before the other requests: it collides with them.
    expect((await slow).status).toBe(409)
    expect(await json(await user.get('/state'))).toEqual({ count: 1, cart: [], theme: 'light' })
})

// A version that is not a whole number from 1 up: numeric-options.test.ts.
test('migrate at version 1 stops the plugin at creation', () => {
    expect(() => scopedState({ count: { value: 0 } }, { secret: SECRET, migrate: () => ({}) })).toThrow(
        'scopedState: migrate upgrades state saved under an older version: raise version above 1 to use it.'
    )
})

test('a SQLite file written by version 1 is read by version 2 after a restart, migrated', async () => {
    const path = join(scratch, 'deploy.sqlite')
    const first = sqliteStore({ path })
    const { cookie } = await userOfVersionOne(first)
    first.close()

    const second = sqliteStore({ path })
    try {
        const user = client(secondApp(second, { migrate: cartLines([]) }), cookie)
        expect(await json(await user.get('/state'))).toEqual({
            count: 1,
            cart: [{ id: 'mug', quantity: 1 }],
            theme: 'dark'
        })
    } finally {
        second.close()
    }
})

redisTest(
    'a rolling deploy on one Redis: upgraded instances migrate, the old ones answer 503 and overwrite nothing',
    async () => {
        const prefix = `versions-${crypto.randomUUID()}:`
        const oldInstance = redisStore({ url: redis().url, prefix })
        const newInstance = redisStore({ url: redis().url, prefix })
        try {
            const { cookie } = await userOfVersionOne(oldInstance)
            const upgraded = client(secondApp(newInstance, { migrate: cartLines([]) }), cookie)
            expect(await (await upgraded.post('/increment')).text()).toBe('2')

            const response = await client(firstApp(oldInstance), cookie).post('/cart/pen')
            expect(response.status).toBe(503)
            expect(await json(await upgraded.get('/state'))).toEqual({
                count: 2,
                cart: [{ id: 'mug', quantity: 1 }],
                theme: 'dark'
            })
        } finally {
            oldInstance.close()
            newInstance.close()
        }
    }
)

describe('stored records', () => {
    const setup = {
        count: { value: 0 },
        theme: { value: 'light', preserve: true }
    }
    /** An app at `version` over `store`, and a session whose stored record is then replaced by `raw`. */
    const withRecord = async (raw: string, options: ScopedStateOptions<typeof setup> = {}) => {
        const store = memoryStore()
        const app = new Elysia()
            .use(scopedState(setup, { secret: SECRET, store, ...options }))
            .post('/increment', ({ scopedStore }) => ++scopedStore.count)
            .post('/theme/:theme', ({ scopedStore, params }) => {
                scopedStore.theme = params.theme
                return scopedStore.theme
            })
            .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
        const user = client(app)
        await user.post('/increment')
        const id = sessionIdOf(user.cookie)
        store.save(id, raw, DAY)
        return { user, stored: () => JSON.parse(store.load(id, DAY) as string) }
    }
    const quietly = () => spyOn(console, 'warn').mockImplementation(() => {})

    test('a record whose session scope is null reads as defaults, like any unreadable one', async () => {
        const warn = quietly()
        try {
            const { user } = await withRecord('{"s":null,"p":{}}')
            const response = await user.get('/state')
            expect(response.status).toBe(200)
            expect(await response.json()).toEqual({ count: 0, theme: 'light' })
            expect(warn).toHaveBeenCalled()
        } finally {
            warn.mockRestore()
        }
    })

    test('a record that is JSON but no object (null, a number, a list, a string) reads as defaults', async () => {
        const warn = quietly()
        try {
            for (const junk of ['null', '5', '[]', '"s"']) {
                const { user } = await withRecord(junk)
                const response = await user.get('/state')
                expect([junk, response.status, await response.json()]).toEqual([
                    junk,
                    200,
                    { count: 0, theme: 'light' }
                ])
            }
        } finally {
            warn.mockRestore()
        }
    })

    test('a record that is not JSON (cut short, or edited by hand) reads as defaults, and the next write replaces it', async () => {
        const warn = quietly()
        try {
            for (const raw of ['{"s":{"theme":"dark"},"p":{"_":{"cou', 'count=3', '']) {
                const { user, stored } = await withRecord(raw)
                const response = await user.get('/state')
                expect([raw, response.status, await response.json()]).toEqual([raw, 200, { count: 0, theme: 'light' }])
                expect(await (await user.post('/increment')).text()).toBe('1')
                expect(stored()).toEqual({ s: {}, p: { _: { count: 1 } } })
            }
            expect(warn).toHaveBeenCalledWith(
                'scopedState: a stored session record was unreadable; it reads as the defaults, and its next change replaces it.'
            )
        } finally {
            warn.mockRestore()
        }
    })

    test('a record whose scopes are not objects of keys is unreadable, and the next write replaces it', async () => {
        const warn = quietly()
        try {
            const raws = [
                '{"s":[1,2],"p":{}}',
                '{"s":{},"p":[3]}',
                '{"s":{"theme":"dark"},"p":{"_":"abc"}}',
                '{"s":{"theme":"dark"}}',
                '{"s":{"theme":"dark"},"p":null}'
            ]
            for (const raw of raws) {
                const { user, stored } = await withRecord(raw)
                expect(await (await user.get('/state')).json()).toEqual({ count: 0, theme: 'light' })
                expect(await (await user.post('/increment')).text()).toBe('1')
                expect(stored()).toEqual({ s: {}, p: { _: { count: 1 } } })
            }
            expect(warn).toHaveBeenCalledTimes(raws.length)
        } finally {
            warn.mockRestore()
        }
    })

    test('the size limit counts state as migrated: a removed key over the limit makes no room for growth', async () => {
        const { user, stored } = await withRecord(`{"s":{"removed":"${'x'.repeat(400)}"},"p":{}}`, {
            version: 2,
            migrate: () => ({}),
            maxStateBytes: 200
        })
        expect((await user.post(`/theme/${'d'.repeat(300)}`)).status).toBe(413)
        expect(await (await user.post('/theme/dark')).text()).toBe('dark')
        expect(stored()).toEqual({ v: 2, s: { theme: 'dark' }, p: {} })
    })

    test('a state migrated over the limit is saved by a change that leaves it smaller, though its record now names its version', async () => {
        // Read under version 2, the version 1 record (no `v`) is counted with the `"v":2` it will be saved with.
        const { user, stored } = await withRecord(`{"s":{"theme":"${'d'.repeat(300)}"},"p":{}}`, {
            version: 2,
            migrate: () => ({}),
            maxStateBytes: 200
        })
        const shorter = 'e'.repeat(297)
        expect(await (await user.post(`/theme/${shorter}`)).text()).toBe(shorter)
        expect(stored()).toEqual({ v: 2, s: { theme: shorter }, p: {} })
    })

    test('a record of version 0 is unreadable: migrate never sees it', async () => {
        const warn = quietly()
        const calls: number[] = []
        try {
            const migrate = (saved: Record<string, unknown>, from: number) => {
                calls.push(from)
                return saved
            }
            const { user } = await withRecord('{"v":0,"s":{"theme":"dark"},"p":{}}', { version: 2, migrate })
            const response = await user.get('/state')
            expect(response.status).toBe(200)
            expect(await response.json()).toEqual({ count: 0, theme: 'light' })
            expect(calls).toEqual([])
        } finally {
            warn.mockRestore()
        }
    })

    test('a key migrate returns as undefined starts from its default', async () => {
        const { user } = await withRecord('{"s":{"theme":"dark"},"p":{"_":{"count":3}}}', {
            version: 2,
            migrate: () => ({ theme: undefined as never })
        })
        const response = await user.get('/state')
        expect(response.status).toBe(200)
        expect(await response.json()).toEqual({ count: 3, theme: 'light' })
    })

    test('a page scope left empty by migrate is dropped from the record', async () => {
        const { user, stored } = await withRecord('{"s":{},"p":{"old-tab-page":{"gone":1},"_":{"count":3}}}', {
            version: 2,
            migrate: () => ({})
        })
        expect(await (await user.post('/increment')).text()).toBe('4')
        expect(stored()).toEqual({ v: 2, s: {}, p: { _: { count: 4 } } })
    })

    test('a migrate that returns an array answers 500', async () => {
        const { user } = await withRecord('{"s":{"theme":"dark"},"p":{}}', {
            version: 2,
            migrate: () => ['dark'] as never
        })
        const response = await user.get('/state')
        expect(response.status).toBe(500)
        expect(await response.text()).toBe('scopedState: migrate must return an object of state keys.')
    })
})
