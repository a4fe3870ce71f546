/**
 * A browser that blocks this site's cookies never sends the session cookie back: each request
 * starts a session of its own. The counter's page scope says so (409, `cookieMissing`); the
 * cart, the theme and signing in, which work from a page without its session, would seem to
 * work and be lost at the next click. Every page says, from the first, that nothing is kept.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { BrowserContext, Page } from 'playwright-core'
import { type RunningServer, startServer } from '../helpers/server'
import { findChromium, launchWithCookiesBlocked } from './chromium'
import { addToCart, expectBadge, product } from './demo'
import { expectText } from './expect'

const lookup = findChromium()
const BLOCKED = /blocking cookies for this site, so nothing you do here is kept/

describe.skipIf('missing' in lookup && process.env.REQUIRE_SERVICES !== '1')('cookies blocked in the browser', () => {
    let server: RunningServer | undefined
    let context: BrowserContext | undefined
    let closeBrowser: (() => Promise<void>) | undefined
    let page: Page

    beforeAll(async () => {
        if ('missing' in lookup) throw new Error(lookup.missing)
        server = await startServer()
        const launched = await launchWithCookiesBlocked(lookup.path, { baseURL: server.url })
        context = launched.context
        closeBrowser = launched.close
        context.setDefaultTimeout(5000)
        page = context.pages()[0] ?? (await context.newPage())
    }, 30_000)
    afterAll(async () => {
        await closeBrowser?.()
        await server?.stop()
    }, 30_000)

    test('the cart says at once that nothing is kept, and still says so after an add it would lose', async () => {
        await page.goto('/cart')
        await expectText(page.locator('#alerts'), BLOCKED)
        await addToCart(page, 'Enamel mug', 1)
        await expectText(page.locator('#alerts'), BLOCKED)
        // The second add lands in yet another new session: the mug is gone, as the message said.
        await product(page, 'Canvas tote').getByRole('button', { name: 'Add to cart' }).click()
        await expectText(page.locator('#cart-status'), /Canvas tote: added/)
        await expectBadge(page, 1)
        await expectText(page.locator('#alerts'), BLOCKED)
        expect(await context?.cookies()).toEqual([])
    }, 30_000)

    test("the counter's refused click says why, below the notice", async () => {
        await page.goto('/counter')
        await page.getByRole('button', { name: '+1', exact: true }).click()
        await expectText(page.locator('#alerts'), /its session cookie did not come with the request/)
        // The error the app put in the region comes below the notice, which stays: it is the error's cause.
        await expectText(page.locator('#alerts'), new RegExp(`${BLOCKED.source}.*its session cookie did not come`))
        await page.goto('/account')
        await expectText(page.locator('#alerts'), BLOCKED)
    }, 30_000)
})
