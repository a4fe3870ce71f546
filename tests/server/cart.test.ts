/**
 * The cart demo through `app.handle`: every action answered to htmx (the cart region and
 * the badge out of band) and to a plain form post (303 back to /cart), the cart's life
 * across page loads and users, and refused input leaving the cart as it was.
 */
import { describe, expect, test } from 'bun:test'
import { PAGE_HEADER, PAGE_PARAM } from '../../plugins/scoped-state'
import { addToCart, MAX_QUANTITY, parseQuantity, priceCart, removeFromCart, setQuantity } from '../../server/cart'
import { testApp } from '../helpers/app'
import { client, FORM_POST, FORM_TYPE, HTMX_FORM, NAVIGATE, pageIdOf } from '../helpers/client'

/** A browser posting a form with JavaScript off. */
const FORM = { ...FORM_POST, origin: 'http://localhost' }

type User = ReturnType<typeof client>

/** The badge's count in a page or fragment. */
const badgeOf = (html: string) => Number(/id="cart-badge"[^>]*>(\d+)/.exec(html)?.[1])

/** Loads /cart like a browser: the page, and headers for htmx requests from it. */
const openCart = async (user: User) => {
    const page = await user.text('/cart', NAVIGATE)
    const pageId = pageIdOf(page)
    return { page, pageId, htmx: { ...HTMX_FORM, [PAGE_HEADER]: pageId } }
}

/** What a fresh load of /cart shows: item count and total. */
const cartOf = async (user: User) => {
    const page = await user.text('/cart', NAVIGATE)
    return { count: badgeOf(page), total: /id="cart-total">([^<]+)</.exec(page)?.[1], page }
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

describe('cart rules', () => {
    test('quantities are whole numbers from 1 to 99', () => {
        expect(parseQuantity('3')).toEqual({ ok: true, quantity: 3 })
        expect(parseQuantity(' 3 ')).toEqual({ ok: true, quantity: 3 })
        expect(parseQuantity(99)).toEqual({ ok: true, quantity: 99 })
        for (const bad of ['0', '100', '1.5', 'abc', '', '-1', '1e1', undefined, null, ['2']])
            expect(parseQuantity(bad).ok).toBe(false)
    })

    test('leading zeros, which a number field sends as typed, do not change the number', () => {
        expect(parseQuantity('0005')).toEqual({ ok: true, quantity: 5 })
        expect(parseQuantity('00099')).toEqual({ ok: true, quantity: 99 })
        for (const bad of ['0000', '0100', '9'.repeat(400)]) expect(parseQuantity(bad).ok).toBe(false)
    })

    test('changes return a new cart and never touch the one given', () => {
        const cart = [{ productId: 'mug', quantity: 2 }]
        const added = addToCart(cart, 'mug', '3')
        expect(added.ok && added.cart).toEqual([{ productId: 'mug', quantity: 5 }])
        expect(cart).toEqual([{ productId: 'mug', quantity: 2 }])
        const set = setQuantity(cart, 'pen', '4')
        expect(set.ok && set.cart).toEqual([...cart, { productId: 'pen', quantity: 4 }])
        const removed = removeFromCart(cart, 'mug')
        expect(removed.ok && removed.cart).toEqual([])
    })

    test('adding never takes a line above the maximum: cut down to reach it, refused once there', () => {
        const added = addToCart([{ productId: 'mug', quantity: 98 }], 'mug', '5')
        expect(added.ok && added.cart).toEqual([{ productId: 'mug', quantity: MAX_QUANTITY }])
        expect(added.ok && added.note).toBe('added 1 to reach 99, the most the cart takes of one product.')
        expect(addToCart([{ productId: 'mug', quantity: 98 }], 'mug', '1')).not.toHaveProperty('note')
        const full = addToCart([{ productId: 'mug', quantity: MAX_QUANTITY }], 'mug')
        expect(full.ok ? undefined : full.error).toEqual({
            kind: 'line-full',
            productId: 'mug',
            message: 'Enamel mug: already 99, the most the cart takes of one product.'
        })
    })

    test('a quantity that is there but not a number is not reported as missing', () => {
        expect(parseQuantity(undefined)).toMatchObject({ message: 'Enter a quantity from 1 to 99.' })
        expect(parseQuantity('  ')).toMatchObject({ message: 'Enter a quantity from 1 to 99.' })
        for (const value of [['2', '3'], true, {}])
            expect(parseQuantity(value)).toMatchObject({ message: 'Enter a whole number from 1 to 99.' })
    })

    test('an unknown product is refused before its quantity is looked at', () => {
        const refused = setQuantity([], 'nope', 'abc')
        expect(refused.ok ? undefined : refused.error.kind).toBe('unknown-product')
    })

    test('subtotals and the total are computed from the catalog prices', () => {
        const priced = priceCart([
            { productId: 'mug', quantity: 2 },
            { productId: 'notebook', quantity: 1 }
        ])
        expect(priced.lines.map((line) => line.subtotalCents)).toEqual([3600, 1250])
        expect(priced.totalCents).toBe(4850)
    })

    test('a line whose product left the catalog (saved before a deploy) is skipped, not priced', () => {
        const priced = priceCart([
            { productId: 'retired', quantity: 3 },
            { productId: 'mug', quantity: 1 }
        ])
        expect(priced.lines.map((line) => line.productId)).toEqual(['mug'])
        expect(priced.totalCents).toBe(1800)
    })
})

describe('cart demo over htmx', () => {
    test('a new visitor sees an empty cart and a zero badge', async () => {
        const { page } = await openCart(client(testApp()))
        expect(page).toContain('Your cart is empty')
        expect(badgeOf(page)).toBe(0)
        expect(page).toContain('<h3 id="product-mug">Enamel mug</h3>')
        expect(page).toContain('$18.00')
    })

    test('add: the cart region and the badge out of band, Vary: HX-Request', async () => {
        const user = client(testApp())
        const { htmx } = await openCart(user)
        const first = await user.post('/cart/items', htmx, form({ productId: 'mug' }))
        expect(first.status).toBe(200)
        expect(first.headers.get('vary')).toBe('HX-Request, Accept')
        const fragment = await first.text()
        expect(fragment).toStartWith('<section id="cart"')
        expect(fragment).not.toContain('<html')
        expect(fragment).toContain('data-cart-line="mug"')
        expect(fragment).toMatch(/<span id="cart-badge" class="badge badge-changed"[^>]*hx-swap-oob="true"[^>]*>1</)
        expect(fragment).toContain('<strong id="cart-total">$18.00</strong>')

        const second = await (await user.post('/cart/items', htmx, form({ productId: 'mug', quantity: '2' }))).text()
        expect(badgeOf(second)).toBe(3)
        expect(second).toContain('<strong id="cart-total">$54.00</strong>')
        expect(second).toContain('value="3"')
    })

    test('set quantity, remove a line, clear the cart', async () => {
        const user = client(testApp())
        const { htmx } = await openCart(user)
        await user.post('/cart/items', htmx, form({ productId: 'mug' }))
        await user.post('/cart/items', htmx, form({ productId: 'pen' }))

        const set = await user.post('/cart/items/mug', htmx, form({ quantity: '5' }))
        expect(set.status).toBe(200)
        expect(set.headers.get('vary')).toBe('HX-Request, Accept')
        const setFragment = await set.text()
        expect(badgeOf(setFragment)).toBe(6)
        expect(setFragment).toContain('<strong id="cart-total">$124.00</strong>')

        const removed = await (await user.post('/cart/items/pen/remove', htmx, '')).text()
        expect(removed).not.toContain('data-cart-line="pen"')
        expect(badgeOf(removed)).toBe(5)
        expect(removed).toContain('<strong id="cart-total">$90.00</strong>')

        const cleared = await user.post('/cart/clear', htmx, '')
        expect(cleared.headers.get('vary')).toBe('HX-Request, Accept')
        const clearedFragment = await cleared.text()
        expect(clearedFragment).toContain('Your cart is empty')
        expect(badgeOf(clearedFragment)).toBe(0)
        expect((await cartOf(user)).count).toBe(0)
    })

    test('each answer tells screen readers what changed, through the live region', async () => {
        const user = client(testApp())
        const { htmx } = await openCart(user)
        const fragment = await (await user.post('/cart/items', htmx, form({ productId: 'mug' }))).text()
        expect(fragment).toContain('<p id="cart-status" class="visually-hidden" role="status" aria-live="polite"')
        expect(fragment).toContain(
            'hx-swap-oob="innerHTML">Enamel mug: added. 1 item in the cart, $18.00 in total.</p>'
        )
    })
})

describe('cart demo without JavaScript', () => {
    /** Posts like a plain form (the action carries the page id) and follows the 303 like a browser. */
    const submit = async (user: User, pageId: string, path: string, fields: Record<string, string> = {}) => {
        const posted = await user.post(`${path}?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, FORM, form(fields))
        expect(posted.status).toBe(303)
        expect(posted.headers.get('vary')).toBe('HX-Request, Accept')
        const location = posted.headers.get('location') as string
        expect(location).toBe(`/cart?${PAGE_PARAM}=${encodeURIComponent(pageId)}`)
        return user.text(location, NAVIGATE)
    }

    test('add, set, remove and clear each redirect back to /cart, which shows the change', async () => {
        const user = client(testApp())
        const { page, pageId } = await openCart(user)
        // The action's #cart: the browser keeps it across the redirect (and on a refusal's page), so it
        // lands on the cart, which shows what changed, not at the top of the page.
        expect(page).toContain(`action="/cart/items?${PAGE_PARAM}=${encodeURIComponent(pageId)}#cart"`)

        let shown = await submit(user, pageId, '/cart/items', { productId: 'tote', quantity: '2' })
        expect(badgeOf(shown)).toBe(2)
        expect(shown).toContain('data-cart-line="tote"')
        shown = await submit(user, pageId, '/cart/items/tote', { quantity: '4' })
        expect(badgeOf(shown)).toBe(4)
        expect(shown).toContain('<strong id="cart-total">$88.00</strong>')
        await submit(user, pageId, '/cart/items', { productId: 'poster' })
        shown = await submit(user, pageId, '/cart/items/tote/remove')
        expect(shown).not.toContain('data-cart-line="tote"')
        expect(badgeOf(shown)).toBe(1)
        shown = await submit(user, pageId, '/cart/clear')
        expect(shown).toContain('Your cart is empty')
    })

    test('the page the redirect loads says what changed, as htmx users hear it, and only once', async () => {
        const user = client(testApp())
        const { pageId } = await openCart(user)
        const other = await openCart(user)
        /** The visible message atop the cart, if any. */
        const noticeOf = (page: string) => /<p class="notice notice-done">([^<]*)<\/p>/.exec(page)?.[1]
        expect(noticeOf(await submit(user, pageId, '/cart/items', { productId: 'tote', quantity: '2' }))).toBe(
            'Canvas tote: added.'
        )
        expect(noticeOf(await submit(user, pageId, '/cart/items', { productId: 'tote', quantity: '98' }))).toBe(
            'Canvas tote: added 97 to reach 99, the most the cart takes of one product.'
        )
        expect(noticeOf(await submit(user, pageId, '/cart/items/tote', { quantity: '3' }))).toBe(
            'Canvas tote: quantity updated.'
        )
        expect(noticeOf(await submit(user, pageId, '/cart/clear'))).toBe('Cart cleared.')
        // Loaded again in that scope (Back to the redirect's URL), a reload, or another tab: no message.
        expect(noticeOf(await user.text(`/cart?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, NAVIGATE))).toBeUndefined()
        expect(noticeOf(await user.text('/cart', NAVIGATE))).toBeUndefined()
        expect(
            noticeOf(await user.text(`/cart?${PAGE_PARAM}=${encodeURIComponent(other.pageId)}`, NAVIGATE))
        ).toBeUndefined()
        // A refusal shows its problem, not an earlier change's message; htmx gets none on the page.
        await user.post(`/cart/items?${PAGE_PARAM}=${encodeURIComponent(pageId)}`, FORM, form({ productId: 'mug' }))
        const refused = await user.post(`/cart/items/mug?${PAGE_PARAM}=${pageId}`, FORM, form({ quantity: '0' }))
        expect([refused.status, noticeOf(await refused.text())]).toEqual([422, undefined])
        await user.post('/cart/items', other.htmx, form({ productId: 'mug' }))
        expect(
            noticeOf(await user.text(`/cart?${PAGE_PARAM}=${encodeURIComponent(other.pageId)}`, NAVIGATE))
        ).toBeUndefined()
    })

    test('the cart asked for with the id of a page that no longer holds, not as a page load (htmx, a script), still answers: it has no message to show', async () => {
        const app = testApp()
        const { pageId } = await openCart(client(app))
        const stranger = client(app)
        const asked: Record<string, string>[] = [
            { [PAGE_HEADER]: pageId, 'hx-request': 'true', accept: 'text/html' },
            { [PAGE_HEADER]: pageId }
        ]
        for (const headers of asked) {
            const response = await stranger.get('/cart', headers)
            expect(response.status).toBe(200)
            expect(await response.text()).toContain('Your cart is empty')
        }
    })

    test('a form from a page whose session ended (cookie cleared, another tab signed in) gets a page, not the fragment', async () => {
        const app = testApp()
        const cleared = client(app)
        const { pageId } = await openCart(cleared)
        cleared.cookie = ''
        const tabs = client(app)
        const [first, second] = [await openCart(tabs), await openCart(tabs)]
        await tabs.post(`/account/sign-in?${PAGE_PARAM}=${encodeURIComponent(first.pageId)}`, FORM, 'name=Ann')
        for (const [user, id] of [
            [cleared, pageId],
            [tabs, second.pageId]
        ] as const) {
            const posted = await user.post(
                `/cart/items?${PAGE_PARAM}=${encodeURIComponent(id)}`,
                FORM,
                form({ productId: 'mug' })
            )
            // Not the cart's fragment, shown bare as a page: a page that says the change was not saved
            // (tests/server/ended-session-forms.test.ts).
            expect(posted.status).toBe(409)
            expect(await posted.text()).toStartWith('<!doctype html>')
        }
    })

    test('a refused quantity answers 422 with the whole page and the message by the field', async () => {
        const user = client(testApp())
        const { pageId } = await openCart(user)
        await submit(user, pageId, '/cart/items', { productId: 'mug', quantity: '2' })
        const refused = await user.post(`/cart/items/mug?${PAGE_PARAM}=${pageId}`, FORM, form({ quantity: '0' }))
        expect(refused.status).toBe(422)
        expect(refused.headers.get('vary')).toBe('HX-Request, Accept')
        const page = await refused.text()
        expect(page).toStartWith('<!doctype html>')
        // The title is what a screen reader says first on the new page: it says it is a refusal.
        expect(page).toContain('<title>Error: Cart · ')
        expect(page).toMatch(/<p class="field-error" id="quantity-error-mug">[^<]*1 to 99/)
        expect(page).toContain('aria-describedby="quantity-error-mug"')
        expect(page).toContain('value="0"')
        expect((await cartOf(user)).count).toBe(2)
    })

    test('an unknown product answers 404 with the whole page and a readable message', async () => {
        const user = client(testApp())
        const { pageId } = await openCart(user)
        const refused = await user.post(`/cart/items?${PAGE_PARAM}=${pageId}`, FORM, form({ productId: 'unicorn' }))
        expect(refused.status).toBe(404)
        const page = await refused.text()
        expect(page).toStartWith('<!doctype html>')
        expect(page).toContain('There is no product “unicorn” in the catalog.')
    })
})

describe('whose cart, and for how long', () => {
    test('the cart survives page loads and navigation', async () => {
        const user = client(testApp())
        const { htmx } = await openCart(user)
        await user.post('/cart/items', htmx, form({ productId: 'pen', quantity: '2' }))
        // A fresh page load (new page scope) of another page, then of the cart.
        expect(badgeOf(await user.text('/counter', NAVIGATE))).toBe(2)
        expect(badgeOf(await user.text('/theme', NAVIGATE))).toBe(2)
        const again = await cartOf(user)
        expect(again.count).toBe(2)
        expect(again.total).toBe('$68.00')
        expect(again.page).toContain('data-cart-line="pen"')
    })

    test('each user has their own cart', async () => {
        const app = testApp()
        const alice = client(app)
        const bob = client(app)
        const aliceTab = await openCart(alice)
        await openCart(bob)
        await alice.post('/cart/items', aliceTab.htmx, form({ productId: 'poster', quantity: '3' }))
        expect(alice.cookie).not.toBe(bob.cookie)
        expect((await cartOf(alice)).count).toBe(3)
        const bobs = await cartOf(bob)
        expect(bobs.count).toBe(0)
        expect(bobs.page).toContain('Your cart is empty')
    })
})

describe('refused input leaves the cart unchanged', () => {
    const withMugs = async () => {
        const user = client(testApp())
        const { htmx } = await openCart(user)
        await user.post('/cart/items', htmx, form({ productId: 'mug', quantity: '2' }))
        return { user, htmx }
    }

    for (const [label, fields] of [
        ['0', { quantity: '0' }],
        ['100', { quantity: '100' }],
        ['1.5', { quantity: '1.5' }],
        ['abc', { quantity: 'abc' }],
        ['missing', {}]
    ] as const) {
        test(`setting quantity ${label}: 422, the message next to the line's field`, async () => {
            const { user, htmx } = await withMugs()
            const refused = await user.post('/cart/items/mug', htmx, form(fields))
            expect(refused.status).toBe(422)
            expect(refused.headers.get('vary')).toBe('HX-Request, Accept')
            const fragment = await refused.text()
            expect(fragment).toStartWith('<section id="cart"')
            expect(fragment).toMatch(/data-cart-line="mug"[\s\S]*<p class="field-error" id="quantity-error-mug">/)
            expect(fragment).toContain('aria-invalid="true"')
            expect(badgeOf(fragment)).toBe(2)
            // No bump: it would tell a sighted user that the refused change went into the cart.
            expect(fragment).toMatch(/<span id="cart-badge" class="badge" /)
            expect((await cartOf(user)).count).toBe(2)
        })
    }

    test('a script (no Accept: text/html) gets the fragment with the status, as htmx does, not a page', async () => {
        const { user } = await withMugs()
        const refused = await user.post('/cart/items/mug', FORM_TYPE, form({ quantity: '0' }))
        expect(refused.status).toBe(422)
        const fragment = await refused.text()
        expect(fragment).toStartWith('<section id="cart"')
        expect(fragment).toContain('id="quantity-error-mug"')
        expect((await cartOf(user)).count).toBe(2)
    })

    test('a JSON body that is no object (null, a number) is read as a form without fields: 404, naming no product', async () => {
        const { user, htmx } = await withMugs()
        for (const body of ['null', '42', '"mug"']) {
            const refused = await user.post('/cart/items', { ...htmx, 'content-type': 'application/json' }, body)
            expect(refused.status).toBe(404)
            expect(await refused.text()).toContain('Choose a product from the catalog.')
        }
        expect((await cartOf(user)).count).toBe(2)
    })

    test('adding a bad quantity: 422 with the product’s message, cart unchanged', async () => {
        const { user, htmx } = await withMugs()
        const refused = await user.post('/cart/items', htmx, form({ productId: 'pen', quantity: '0' }))
        expect(refused.status).toBe(422)
        expect(await refused.text()).toContain('class="notice notice-error field-error" id="quantity-error-pen"')
        expect((await cartOf(user)).count).toBe(2)
    })

    test('an unknown product: 404 with a readable message fragment, for add, set and remove', async () => {
        const { user, htmx } = await withMugs()
        for (const [path, fields] of [
            ['/cart/items', { productId: 'unicorn' }],
            ['/cart/items/unicorn', { quantity: '1' }],
            ['/cart/items/unicorn/remove', {}]
        ] as const) {
            const refused = await user.post(path, htmx, form(fields))
            expect(refused.status).toBe(404)
            const fragment = await refused.text()
            expect(fragment).toStartWith('<section id="cart"')
            expect(fragment).toContain('<p class="notice notice-error" id="cart-error">')
            expect(fragment).toContain('There is no product “unicorn” in the catalog.')
        }
        expect((await cartOf(user)).count).toBe(2)
    })

    test('an unknown product is named without its direction marks and cut to 40 characters', async () => {
        const { user, htmx } = await withMugs()
        const refused = await user.post('/cart/items', htmx, form({ productId: `\u202Eunicorn${'n'.repeat(1000)}` }))
        expect(refused.status).toBe(404)
        expect(await refused.text()).toContain(`There is no product “unicorn${'n'.repeat(33)}…” in the catalog.`)
    })

    test('an unknown product is named without the halves of characters a JSON body may carry (lone surrogates)', async () => {
        const { user, htmx } = await withMugs()
        const json = { ...htmx, 'content-type': 'application/json' }
        const refused = await user.post('/cart/items', json, '{"productId":"uni\\ud800corn\\udfff"}')
        expect(refused.status).toBe(404)
        expect(await refused.text()).toContain('There is no product “unicorn” in the catalog.')
    })

    test('an unknown product of characters that do not show is asked for, not quoted empty', async () => {
        const { user, htmx } = await withMugs()
        const refused = await user.post('/cart/items', htmx, form({ productId: '\u202E\u200B\u0000' }))
        expect(refused.status).toBe(404)
        expect(await refused.text()).toContain('Choose a product from the catalog.')
    })

    test('an add past the limit says what it added, and one to a full line answers 422 saying so', async () => {
        const { user, htmx } = await withMugs()
        await user.post('/cart/items/mug', htmx, form({ quantity: '98' }))
        const capped = await user.post('/cart/items', htmx, form({ productId: 'mug', quantity: '5' }))
        expect(capped.status).toBe(200)
        expect(await capped.text()).toContain(
            'Enamel mug: added 1 to reach 99, the most the cart takes of one product.'
        )
        const refused = await user.post('/cart/items', htmx, form({ productId: 'mug' }))
        expect(refused.status).toBe(422)
        const fragment = await refused.text()
        expect(fragment).toContain(
            '<p class="notice notice-error" id="cart-error">Enamel mug: already 99, the most the cart takes of one product.'
        )
        expect(badgeOf(fragment)).toBe(99)
        expect((await cartOf(user)).count).toBe(99)
    })

    test('an add without a product, or a product id that is not valid percent-encoding: 404, naming none', async () => {
        const { user, htmx } = await withMugs()
        for (const [path, body] of [
            ['/cart/items', form({ quantity: '1' })],
            // Elysia reads such a path parameter as null.
            ['/cart/items/mug%FF', form({ quantity: '1' })],
            ['/cart/items/%E0%A4A/remove', '']
        ] as const) {
            const refused = await user.post(path, htmx, body)
            expect(refused.status).toBe(404)
            const fragment = await refused.text()
            expect(fragment).toContain('Choose a product from the catalog.')
            expect(fragment).not.toMatch(/undefined|null/)
        }
    })

    test("a refused quantity on one line leaves the other lines' fields alone", async () => {
        const { user, htmx } = await withMugs()
        await user.post('/cart/items', htmx, form({ productId: 'pen', quantity: '1' }))
        const refused = await user.post('/cart/items/pen', htmx, form({ quantity: '0' }))
        expect(refused.status).toBe(422)
        const fragment = await refused.text()
        const mugField = /<input id="quantity-mug"[^>]*>/.exec(fragment)?.[0] ?? ''
        expect(mugField).toContain('value="2"')
        expect(mugField).not.toContain('aria-invalid')
        expect(fragment.match(/class="field-error"/g)).toHaveLength(1)
    })
})
