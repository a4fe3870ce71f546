/**
 * An answer that is only out-of-band parts, the row's own part empty (a Delete that updates a
 * count): htmx 4.0.1 swaps the parts and skips the empty one, so an `outerHTML` target stays on the
 * page (`allowEmptySwapAfterOOB`, docs/htmx-4.md). `hx-swap="delete"` removes it whatever the answer.
 */
import { expect } from 'bun:test'
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'

e2eSuite(
    'an answer of out-of-band parts only',
    (e2e) => {
        browserTest('leaves an outerHTML target on the page', async () => {
            const page = await e2e.openPage('/')
            await page.getByRole('button', { name: 'Delete replaced' }).click()
            // The parts of one answer are swapped together: once the count moved, the row was kept or not.
            await expectText(page.locator('#count'), 'replaced gone')
            expect(await page.locator('#replaced').count()).toBe(1)
        })

        browserTest('removes a target swapped with delete', async () => {
            const page = await e2e.openPage('/')
            await page.getByRole('button', { name: 'Delete deleted' }).click()
            await expectText(page.locator('#count'), 'deleted gone')
            expect(await page.locator('#deleted').count()).toBe(0)
        })
    },
    fixtureServer('delete-row-app.ts')
)
