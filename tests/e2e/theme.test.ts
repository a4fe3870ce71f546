/**
 * The theme demo in a real browser: a switch applies at once (no page load), and the next
 * page load is dark from its first paint because the server renders `<html data-theme>`.
 */
import { expect } from 'bun:test'
import { button, expectTheme, pickTheme, postAndLandBack } from './demo'
import { expectAttribute, markDocument } from './expect'
import { browserTest, e2eSuite } from './harness'

/**
 * Records `<html data-theme>` as the parser creates the element, before any script of the
 * page runs, into `window.e2eFirstTheme`.
 */
const recordFirstTheme = () => {
    const store = window as unknown as { e2eFirstTheme?: string | null }
    const record = () => {
        if (!document.documentElement) return false
        store.e2eFirstTheme = document.documentElement.getAttribute('data-theme')
        return true
    }
    if (!record()) {
        new MutationObserver((_, observer) => {
            if (record()) observer.disconnect()
        }).observe(document, { childList: true })
    }
}

e2eSuite('theme in a browser', (e2e) => {
    browserTest('switching applies at once, without a page load', async () => {
        const page = await e2e.openPage('/theme')
        await expectAttribute(button(page, 'System'), 'aria-pressed', 'true')
        const sameDocument = await markDocument(page)

        await button(page, 'Dark').click()
        await expectTheme(page, 'dark')
        await expectAttribute(button(page, 'Dark'), 'aria-pressed', 'true')
        await expectAttribute(button(page, 'System'), 'aria-pressed', 'false')

        await button(page, 'Light').click()
        await expectTheme(page, 'light')
        await expectAttribute(button(page, 'Light'), 'aria-pressed', 'true')
        expect(await sameDocument()).toBe(true)
    })

    browserTest('after switching to dark, a reload is dark from the first paint', async () => {
        const page = await e2e.openPage('/theme')
        await pickTheme(page, 'Dark')

        await page.addInitScript(recordFirstTheme)
        const response = await page.reload()
        // What the browser received, and what the element had before any script ran.
        expect(await response?.text()).toMatch(/<html[^>]*\sdata-theme="dark"/)
        expect(await page.evaluate(() => (window as unknown as { e2eFirstTheme?: string }).e2eFirstTheme)).toBe('dark')

        await page.goto('/counter')
        expect(await page.evaluate(() => (window as unknown as { e2eFirstTheme?: string }).e2eFirstTheme)).toBe('dark')
    })

    browserTest('without JavaScript, picking a theme posts a form and the page comes back in it', async () => {
        const page = await e2e.openPage('/theme', { javaScriptEnabled: false })
        await postAndLandBack(page, () => button(page, 'Dark').click())
        await expectTheme(page, 'dark')
        await expectAttribute(button(page, 'Dark'), 'aria-pressed', 'true')
    })
    browserTest(
        'on a right-to-left page, the skip link and the chosen theme’s check sit at the start and end that page reads',
        async () => {
            const page = await e2e.openPage('/theme')
            // As an app in Arabic or Hebrew renders <html dir="rtl">: the template's own pages are left to right.
            await page.evaluate(() => {
                document.documentElement.dir = 'rtl'
            })
            await page.keyboard.press('Tab')
            const skip = await page.locator('.skip-link').evaluate((link) => {
                const { left, right } = link.getBoundingClientRect()
                return { center: (left + right) / 2, page: document.documentElement.clientWidth }
            })
            expect(skip.center).toBeGreaterThan(skip.page / 2)
            // The check's left edge, from the button's: past its left corner, the end of right-to-left text.
            const checkLeft = await page
                .locator('.theme-option[aria-pressed="true"]')
                .evaluate((option) => Number.parseFloat(getComputedStyle(option, '::before').left))
            expect(checkLeft).toBeLessThan(0)
        }
    )
})
