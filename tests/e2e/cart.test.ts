/**
 * The cart demo in a real browser: htmx swaps the cart and updates the nav badge out of
 * band, without a page load; a wrong quantity shows its message next to the field; with
 * JavaScript off the same forms work through Post/Redirect/Get.
 */
import { expect } from 'bun:test'
import { addToCart, button, cartLine, expectBadge, fillQuantity, navigate, product } from './demo'
import { expectAttribute, expectGone, expectText, markDocument } from './expect'
import { browserTest, e2eSuite } from './harness'

e2eSuite('cart in a browser', (e2e) => {
    browserTest('add, change quantity, remove and clear, with the badge updated in place', async () => {
        const page = await e2e.openPage('/cart')
        const sameDocument = await markDocument(page)
        await expectBadge(page, 0)
        await page.getByText('Your cart is empty').waitFor()

        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Enamel mug', 2)
        await addToCart(page, 'Dot-grid notebook', 3)
        await expectText(page.locator('#cart-total'), /\$48\.50/)

        const mug = cartLine(page, 'mug')
        await fillQuantity(mug, '5')
        await button(mug, 'Update').click()
        await expectBadge(page, 6)
        await expectText(page.locator('#cart-total'), /\$102\.50/)

        await button(cartLine(page, 'notebook'), 'Remove').click()
        await expectGone(cartLine(page, 'notebook'))
        await expectBadge(page, 5)
        await expectText(page.locator('#cart-total'), /\$90\.00/)

        await button(page, 'Clear cart').click()
        await page.getByText('Your cart is empty').waitFor()
        await expectBadge(page, 0)

        expect(await sameDocument()).toBe(true)
    })

    browserTest('by keyboard, Remove and Clear cart leave focus in the cart, not on the page', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Dot-grid notebook', 2)
        for (const control of [button(cartLine(page, 'mug'), 'Remove'), button(page, 'Clear cart')]) {
            await control.focus()
            await page.keyboard.press('Enter')
            await expectGone(control)
            await page.waitForFunction(() => document.getElementById('cart')?.contains(document.activeElement))
        }
        await page.getByText('Your cart is empty').waitFor()
    })

    browserTest('by keyboard, Remove pressed twice before its answer: focus stays in the cart', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Dot-grid notebook', 2)
        // A slow answer, so the second press is queued behind the first; its answer morphs the cart again.
        await page.route('**/cart/items/mug/remove', async (route) => {
            await Bun.sleep(200)
            await route.continue()
        })
        await page.evaluate(() => {
            const counted = window as unknown as { e2eSwaps: number }
            counted.e2eSwaps = 0
            document.addEventListener('htmx:after:swap', () => counted.e2eSwaps++)
        })
        await button(cartLine(page, 'mug'), 'Remove').focus()
        await page.keyboard.press('Enter')
        await page.keyboard.press('Enter')
        await page.waitForFunction(() => (window as unknown as { e2eSwaps: number }).e2eSwaps >= 2)
        await expectBadge(page, 1)
        expect(await page.evaluate(() => document.getElementById('cart')?.contains(document.activeElement))).toBe(true)
    })

    browserTest('an invalid quantity shows a message next to its field and changes nothing', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Canvas tote', 1)
        const tote = cartLine(page, 'tote')

        for (const invalid of ['0', '100']) {
            await fillQuantity(tote, invalid)
            await button(tote, 'Update').click()
            // The answer re-renders the line around the refused input. Waiting for that, not for
            // a message, which the previous value's answer left on the page already.
            await expectAttribute(tote.getByLabel('Quantity'), 'value', invalid)
            await tote.locator('.field-error').waitFor()
            expect((await tote.locator('.field-error').textContent())?.trim()).not.toBe('')
            await expectBadge(page, 1)
        }

        // A valid value clears the message.
        await fillQuantity(tote, '2')
        await button(tote, 'Update').click()
        await expectBadge(page, 2)
        await expectGone(page.locator('.field-error'))
    })

    browserTest(
        'a quantity whose update never reached the server is not shown once the cart answers again',
        async () => {
            const page = await e2e.openPage('/cart')
            await addToCart(page, 'Enamel mug', 1)
            const mug = cartLine(page, 'mug')
            await page.route('**/cart/items/mug', (route) => route.abort('internetdisconnected'))
            await fillQuantity(mug, '3')
            await mug.getByLabel('Quantity').press('Enter')
            await expectText(page.locator('#alerts'), /could not be reached/)
            await page.unroute('**/cart/items/mug')
            // Another change is answered: the field shows what the cart holds, not the 3 typed for nothing.
            await addToCart(page, 'Canvas tote', 2)
            expect(await mug.getByLabel('Quantity').inputValue()).toBe('1')
        }
    )

    browserTest('a quantity being typed stays as typed while another answer updates the cart', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Enamel mug', 1)
        const field = cartLine(page, 'mug').getByLabel('Quantity')
        await fillQuantity(cartLine(page, 'mug'), '4')
        await field.focus()
        // An add that the user did not make from the field (a script's click moves no focus).
        await button(product(page, 'Canvas tote'), 'Add to cart').evaluate((add) => (add as HTMLElement).click())
        await expectBadge(page, 2)
        expect(await field.evaluate((input) => input === document.activeElement)).toBe(true)
        expect(await field.inputValue()).toBe('4')
    })

    browserTest(
        'an answer leaves focus alone when the click focused nothing (Safari does not focus a clicked button)',
        async () => {
            const page = await e2e.openPage('/cart')
            await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
            await button(product(page, 'Enamel mug'), 'Add to cart').evaluate((add) => (add as HTMLElement).click())
            await expectBadge(page, 1)
            // Nothing was lost, so nothing is moved: focus on the cart would read it out, and show its outline.
            expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true)
        }
    )

    browserTest('Back to the cart shows what it holds, not a quantity typed and never sent', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Enamel mug', 2)
        await fillQuantity(cartLine(page, 'mug'), '7')
        await navigate(page, 'Theme')
        // The cart is rendered anew (no-store keeps it out of the back/forward cache); Chromium then
        // puts back what was typed in its fields, unless a field says autocomplete="off".
        await page.goBack()
        await expectBadge(page, 2)
        expect(await cartLine(page, 'mug').getByLabel('Quantity').inputValue()).toBe('2')
    })

    browserTest('without JavaScript, adding a product posts a form and the badge counts it', async () => {
        const page = await e2e.openPage('/cart', { javaScriptEnabled: false })
        await expectBadge(page, 0)
        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Enamel mug', 2)
        // Post/Redirect/Get brought the browser back to the cart page, scrolled to the cart, which
        // is where Tab goes on from: a keyboard user is not sent back to the top of the page.
        expect(new URL(page.url()).pathname).toBe('/cart')
        await cartLine(page, 'mug').waitFor()
        // Landing focuses the cart (tabindex="-1"): no ring around the whole panel after a click.
        expect(await page.locator('#cart').evaluate((cart) => getComputedStyle(cart).outlineStyle)).toBe('none')
        await page.keyboard.press('Tab')
        expect(await page.evaluate(() => document.activeElement?.closest('#cart') !== null)).toBe(true)
        await expectText(page.locator('#cart-total'), /\$36\.00/)

        await button(cartLine(page, 'mug'), 'Remove').click()
        await expectBadge(page, 0)
    })

    browserTest(
        'without JavaScript, the page a change lands on says what it did, and a reload does not say it again',
        async () => {
            const page = await e2e.openPage('/cart', { javaScriptEnabled: false })
            const notice = page.locator('#cart .notice-done')
            expect(await notice.count()).toBe(0)
            await addToCart(page, 'Enamel mug', 1)
            await expectText(notice, /^Enamel mug: added\.$/)
            await button(cartLine(page, 'mug'), 'Remove').click()
            await expectText(notice, /^Enamel mug: removed\.$/)
            // The address still names the tab's page scope: reloading it shows the cart, not the message.
            await page.reload()
            await expectBadge(page, 0)
            expect(await notice.count()).toBe(0)
        }
    )
})
