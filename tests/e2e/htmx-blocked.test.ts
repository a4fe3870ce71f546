/**
 * JavaScript on and htmx missing (its request blocked by an extension or a proxy, or answered
 * 404): public/app.js still runs, the views' `hx-*` attributes do nothing, and every demo works as
 * it does without JavaScript, by plain form posts and their redirects, the page scope carried in
 * `page_id`. app.js must neither fail without htmx nor say a request failed when none did. The
 * harness fails a test on any uncaught script error; this file also on any console error but
 * the blocked request's own.
 */
import { expect } from 'bun:test'
import type { Page, Route } from 'playwright-core'
import { HTMX_URL } from '../../server/assets'
import {
    button,
    cartLine,
    expectBadge,
    expectCount,
    expectTheme,
    fillQuantity,
    navigate,
    postAndLandBack,
    product,
    signIn
} from './demo'
import { expectGone, expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

/** How the htmx request fails: as a blocker cancels it, and as a server or proxy without the file answers. */
const FAILURES: Record<string, (route: Route) => Promise<void>> = {
    blocked: (route) => route.abort('blockedbyclient'),
    'answered 404': (route) => route.fulfill({ status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' })
}

/** The page scope's id that a plain form's redirect carried back, the same for every post of one page load. */
const pageIdOf = (landed: URL) => landed.searchParams.get('page_id')

e2eSuite('htmx that fails to load', (e2e) => {
    /**
     * A browser test per way htmx fails: `scenario` gets a page at `path` without htmx, after app.js ran,
     * and `post`, which submits a form by a click and checks the page the redirect lands on. The pages
     * show none of app.js's failure notices and log no error but the htmx request's.
     */
    const withoutHtmx = (
        name: string,
        path: string,
        scenario: (page: Page, post: (submit: () => Promise<unknown>) => Promise<URL>) => Promise<void>
    ) => {
        for (const [failure, fail] of Object.entries(FAILURES))
            browserTest(`htmx ${failure}: ${name}`, async () => {
                const context = await e2e.newContext()
                await context.route((url) => url.pathname === HTMX_URL, fail)
                const consoleErrors: string[] = []
                context.on('console', (message) => {
                    if (message.type() === 'error' && !message.location().url.endsWith(HTMX_URL))
                        consoleErrors.push(`${message.location().url}: ${message.text()}`)
                })
                const page = await context.newPage()
                await page.goto(path)
                // app.js ran: its ResizeObserver sets this as soon as it observes the alert region.
                await page.waitForFunction(() => document.documentElement.style.getPropertyValue('--alerts-space'))
                expect(await page.evaluate(() => 'htmx' in window)).toBe(false)

                const expectNoNotice = async () => expect(await page.locator('#alerts .notice').count()).toBe(0)
                await expectNoNotice()

                await scenario(page, async (submit) => {
                    const landed = await postAndLandBack(page, submit)
                    await expectNoNotice()
                    return landed
                })

                await expectNoNotice()
                expect(consoleErrors).toEqual([])
            })
    }

    withoutHtmx('+1, -1 and reset post forms, and each redirect keeps the count', '/counter', async (page, post) => {
        await expectCount(page, 0)
        const pageId = pageIdOf(await post(() => button(page, '+1').click()))
        await expectCount(page, 1)
        expect(pageId).toBeTruthy()
        for (const [label, count] of [
            ['+1', 2],
            ['-1', 1],
            ['Reset', 0],
            ['+1', 1]
        ] as const) {
            expect(pageIdOf(await post(() => button(page, label).click()))).toBe(pageId)
            await expectCount(page, count)
        }
    })

    withoutHtmx('add, change, remove and clear post forms that land back on the cart', '/cart', async (page, post) => {
        const pageId = pageIdOf(await post(() => button(product(page, 'Enamel mug'), 'Add to cart').click()))
        await expectBadge(page, 1)
        // The message for the page the redirect loads is kept in its page scope: the id carried it across.
        await expectText(page.locator('#cart .notice-done'), 'Enamel mug: added.')
        const postOnThisPage = async (submit: () => Promise<unknown>) =>
            expect(pageIdOf(await post(submit))).toBe(pageId)

        await postOnThisPage(() => button(product(page, 'Canvas tote'), 'Add to cart').click())
        await expectBadge(page, 2)
        await fillQuantity(cartLine(page, 'mug'), '3')
        await postOnThisPage(() => button(cartLine(page, 'mug'), 'Update').click())
        await expectBadge(page, 4)
        await expectText(page.locator('#cart-total'), '$76.00')
        await postOnThisPage(() => button(cartLine(page, 'tote'), 'Remove').click())
        await expectGone(cartLine(page, 'tote'))
        await expectText(page.locator('#cart .notice-done'), 'Canvas tote: removed.')
        await postOnThisPage(() => button(page, 'Clear cart').click())
        await expectGone(cartLine(page, 'mug'))
        await expectBadge(page, 0)
    })

    withoutHtmx('picking a theme posts a form, and the page comes back in it', '/theme', async (page, post) => {
        await post(() => button(page, 'Dark').click())
        await expectTheme(page, 'dark')
        await post(() => button(page, 'Light').click())
        await expectTheme(page, 'light')
        await navigate(page, 'Counter')
        await expectTheme(page, 'light')
    })

    withoutHtmx('signing in and out post forms, the cart kept through the sign-in', '/cart', async (page, post) => {
        await post(() => button(product(page, 'Enamel mug'), 'Add to cart').click())
        await navigate(page, 'Account')
        await post(() => signIn(page, 'Ada'))
        await expectText(page.locator('#account strong'), 'Ada')
        await expectBadge(page, 1)
        await post(() => button(page, 'Sign out').click())
        await button(page, 'Sign in').waitFor()
        await expectBadge(page, 0)
    })
})
