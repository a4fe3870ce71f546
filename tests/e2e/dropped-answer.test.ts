/**
 * htmx 4 drops an answer whose target left the page, its out-of-band parts too (docs/htmx-4.md):
 * a save answered after the list was re-sorted is kept on the server, while the header's count,
 * sent out of band, stays behind. Queued on the list, the sort waits for the save's answer.
 */
import { expect } from 'bun:test'
import type { Page } from 'playwright-core'
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'
import { slowDown } from './slow-network'

/**
 * Saves item 2, and sorts the list while the save's answer is still on its way; returns once htmx
 * has finished with that answer (htmx tells the document once the button has left the page).
 */
const saveThenSort = async (page: Page) => {
    await slowDown(page, '**/save/*', 500)
    const save = page.getByRole('button', { name: 'Save 2' })
    await save.evaluate((button) =>
        document.addEventListener('htmx:finally:request', (event) => {
            const { ctx } = (event as CustomEvent<{ ctx: { sourceElement: Element } }>).detail
            if (ctx.sourceElement === button) document.body.setAttribute('data-save-finished', '')
        })
    )
    await save.click()
    await page.getByRole('button', { name: 'Sort' }).click()
    await expectText(page.locator('#list li').first(), /Item 3/)
    await page.waitForSelector('body[data-save-finished]', { state: 'attached' })
}

e2eSuite(
    'an answer whose target left the page',
    (e2e) => {
        browserTest('is dropped with its out-of-band count, though the server saved it', async () => {
            const page = await e2e.openPage('/')
            await saveThenSort(page)
            // htmx is done with the save's answer: the header did not move.
            expect(await page.locator('#saved').textContent()).toBe('0')
            await page.reload()
            await expectText(page.locator('#saved'), '1')
        })

        browserTest('is swapped when the list queues its requests on itself', async () => {
            const page = await e2e.openPage('/?sync=1')
            await saveThenSort(page)
            await expectText(page.locator('#saved'), '1')
        })
    },
    fixtureServer('list-app.ts')
)
