/**
 * A region swapped `outerHTML` took the focused control with it (a row's Edit, then its form's
 * Cancel): `public/app.js` finds the region again by its id and gives its first control the focus,
 * so a keyboard user goes on from the row instead of the top of the page.
 */
import { expect } from 'bun:test'
import { browserTest, e2eSuite, fixtureServer } from './harness'

e2eSuite(
    'a row edited in place',
    (e2e) => {
        browserTest('by keyboard, Edit focuses the form’s field and Cancel the row’s Edit', async () => {
            const page = await e2e.openPage('/')
            /** What has the focus once `selector` is on the page and the swap's handlers ran (a frame later). */
            const focusedOnceShown = async (selector: string) => {
                await page.locator(selector).waitFor()
                await page.evaluate(() => new Promise(requestAnimationFrame))
                return page.evaluate(() => {
                    const focused = document.activeElement as HTMLInputElement | null
                    return `${focused?.tagName} ${focused?.name || focused?.textContent}`
                })
            }
            await page.getByRole('button', { name: 'Edit' }).focus()
            await page.keyboard.press('Enter')
            expect(await focusedOnceShown('#row input')).toBe('INPUT name')
            await page.getByRole('button', { name: 'Cancel' }).focus()
            await page.keyboard.press('Enter')
            expect(await focusedOnceShown('#row span')).toBe('BUTTON Edit')
        })
    },
    fixtureServer('inline-edit-app.ts')
)
