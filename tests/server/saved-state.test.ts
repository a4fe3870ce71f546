/**
 * tests/helpers/saved-state.ts: a test starts from a state written into the store, and reads
 * what its requests left there, with the memory store and with Redis, which locks the session
 * it reads.
 */
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore, redisStore, type Store, sqliteStore } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client, FORM_TYPE, HTMX, NAVIGATE } from '../helpers/client'
import { redisTest, useRedis } from '../helpers/redis'
import { savedState, saveState } from '../helpers/saved-state'

const ADD = { ...HTMX, ...FORM_TYPE }

/** A user of an app on `store`, with the cookie a page load gives, and a cart saved for it. */
const userWithCart = async (store: Store) => {
    const user = client(testApp({ store }))
    await user.get('/cart', NAVIGATE)
    await saveState(store, user.cookie, { cart: [{ productId: 'mug', quantity: 2 }], theme: 'dark' })
    return user
}

describe('state saved into the store and read back', () => {
    test('the page shows what was saved, and a request starts from it', async () => {
        const store = memoryStore()
        const user = await userWithCart(store)
        const page = await user.text('/cart', NAVIGATE)
        expect(page).toContain('data-theme="dark"')
        expect(page).toContain('data-cart-line="mug"')

        expect((await user.post('/cart/items', ADD, 'productId=pen')).status).toBe(200)
        expect(await savedState(store, user.cookie)).toEqual({
            cart: [
                { productId: 'mug', quantity: 2 },
                { productId: 'pen', quantity: 1 }
            ],
            theme: 'dark'
        })
    })

    test('a key saved later keeps the others, and a session that saved nothing reads as empty', async () => {
        const store = memoryStore()
        const user = await userWithCart(store)
        await saveState(store, user.cookie, { theme: 'light' })
        expect(await savedState(store, user.cookie)).toEqual({
            cart: [{ productId: 'mug', quantity: 2 }],
            theme: 'light'
        })

        const newcomer = client(testApp({ store }))
        await newcomer.get('/cart', NAVIGATE)
        expect(await savedState(store, newcomer.cookie)).toEqual({})
    })

    test('without a session cookie, it says to load a page first', async () => {
        await expect(savedState(memoryStore(), '')).rejects.toThrow('load a page first')
    })

    test('a session a sign-out ended is not written back: on SQLite its old cookie would be live again', async () => {
        const folder = mkdtempSync(join(tmpdir(), 'saved-state-'))
        const store = sqliteStore({ path: join(folder, 'state.db') })
        try {
            const user = await userWithCart(store)
            const signedOut = user.cookie
            await user.post('/account/sign-out', FORM_TYPE)
            await expect(saveState(store, signedOut, { theme: 'dark' })).rejects.toThrow('the session has ended')
            expect(await client(testApp({ store }), signedOut).text('/cart', NAVIGATE)).not.toContain(
                'data-theme="dark"'
            )
        } finally {
            store.close()
            rmSync(folder, { recursive: true, force: true })
        }
    })

    describe('with Redis', () => {
        const redis = useRedis()
        redisTest('reading or writing the state leaves the session free for the next request', async () => {
            const store = redisStore({ url: redis().url })
            try {
                const user = await userWithCart(store)
                expect((await user.post('/cart/items', ADD, 'productId=pen')).status).toBe(200)
                expect((await savedState(store, user.cookie)).cart).toHaveLength(2)
                expect((await user.post('/cart/items', ADD, 'productId=pen')).status).toBe(200)
            } finally {
                await store.close()
            }
        })
    })
})
