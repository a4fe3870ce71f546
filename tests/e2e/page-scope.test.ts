/**
 * `preserve` in a real browser: the count belongs to one page load of one tab, while the
 * preserved cart and theme follow the user across refreshes, navigation and tabs.
 */
import type { Page } from 'playwright-core'
import {
    addToCart,
    button,
    cartLine,
    expectBadge,
    expectCount,
    expectTheme,
    holdSomeOfEverything,
    increment,
    navigate,
    pickTheme
} from './demo'
import { browserTest, e2eSuite } from './harness'

e2eSuite('page scope in a browser', (e2e) => {
    browserTest('a refresh resets the count and keeps the cart and the theme', async () => {
        const page = await e2e.openPage('/cart')
        await holdSomeOfEverything(page, 2)

        await page.reload()
        await expectCount(page, 0)
        await expectBadge(page, 1)
        await expectTheme(page, 'dark')
    })

    browserTest('navigating away and back resets the count and keeps the cart and the theme', async () => {
        const page = await e2e.openPage('/theme')
        await pickTheme(page, 'Dark')
        await navigate(page, 'Cart')
        await addToCart(page, 'Fountain pen', 1)
        await navigate(page, 'Counter')
        await increment(page, 2)

        await navigate(page, 'Cart')
        await navigate(page, 'Counter')
        await expectCount(page, 0)
        await expectBadge(page, 1)
        await expectTheme(page, 'dark')

        // Back/forward may restore the live page from the back/forward cache (its count, same page id) or load
        // it again (0, new page id). Either way the next click continues from the number on screen.
        await increment(page, 1)
        await page.goBack()
        await page.goForward()
        await increment(page, 1)
    })

    browserTest('back to the counter, the next click continues from the number on screen', async () => {
        // A page the HTTP cache kept would show the count it was rendered with, under a page id whose count
        // has moved on since (pages are sent with `Cache-Control: no-store` for this). The browser does not
        // always reuse such a copy (without the header, 4 times in 10 here), so the test goes back as
        // several new users.
        for (let user = 0; user < 6; user++) {
            const page = await e2e.openPage('/counter')
            await increment(page, 1)
            await navigate(page, 'Cart')
            await page.goBack()
            await increment(page, 1)
            await page.context().close()
        }
    })

    browserTest('Back from the skip link keeps the count, where htmx watches popstate (Firefox)', async () => {
        // htmx 4 restores history on any popstate when the browser has no Navigation API (it also
        // leaves Firefox's unused): going Back from #main would fetch the page anew, count at 0.
        const context = await e2e.newContext()
        await context.addInitScript(() => Object.defineProperty(window, 'navigation', { value: undefined }))
        const page = await context.newPage()
        await page.goto('/counter')
        await increment(page, 3)
        // Shown only once focused, as a keyboard user reaches it.
        await page.getByRole('link', { name: 'Skip to content' }).focus()
        await page.keyboard.press('Enter')
        await page.waitForURL(/#main$/)
        await page.goBack()
        await page.waitForURL(/\/counter$/)
        await expectCount(page, 3)
        // The server says the same: a page fetched anew would be a new scope, and +1 would show 1.
        await button(page, '+1').click()
        await expectCount(page, 4)
    })

    browserTest('two tabs of one user: separate counters, one cart and one theme', async () => {
        const context = await e2e.newContext()
        const tabA = await context.newPage()
        const tabB = await context.newPage()
        await tabA.goto('/counter')
        await tabB.goto('/counter')
        // Like a user switching tabs; a background tab also gets few animation frames, which slows clicks.
        const switchTo = async (tab: Page) => {
            await tab.bringToFront()
            return tab
        }

        await increment(await switchTo(tabA), 3)
        await expectCount(await switchTo(tabB), 0)
        await increment(tabB, 1)
        // Each tab keeps counting from its own number.
        await increment(await switchTo(tabA), 1)
        await expectCount(tabA, 4)
        await increment(await switchTo(tabB), 1)
        await expectCount(tabB, 2)

        await navigate(tabB, 'Cart')
        await addToCart(tabB, 'Sticker pack', 1)
        await navigate(tabB, 'Theme')
        await pickTheme(tabB, 'Dark')

        // Tab A's counter was not touched by tab B's page loads.
        await increment(await switchTo(tabA), 1)
        await expectCount(tabA, 5)
        await navigate(tabA, 'Cart')
        await cartLine(tabA, 'stickers').waitFor()
        await expectBadge(tabA, 1)
        await expectTheme(tabA, 'dark')
    })
})
