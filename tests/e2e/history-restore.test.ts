/**
 * htmx's history restore in a real browser: Back to an entry htmx pushed renders the page
 * anew, in a fresh page scope, and the next click reaches that scope.
 */
import { join } from 'node:path'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

const FIXTURE = join(import.meta.dir, 'fixtures/history-app.ts')

e2eSuite(
    'htmx history restore',
    (e2e) => {
        browserTest('Back to a pushed entry starts a fresh page scope, which the page then uses', async () => {
            const page = await e2e.openPage('/')
            const increment = page.locator('#increment')
            await increment.click()
            await expectText(page.locator('#count'), '1')
            await increment.click()
            await expectText(page.locator('#count'), '2')
            await page.locator('#part-2').click()
            await expectText(page.locator('#part'), 'Part 2')
            await page.locator('#part-3').click()
            await expectText(page.locator('#part'), 'Part 3')

            await page.goBack()
            await expectText(page.locator('#part'), 'Part 2')
            await expectText(page.locator('#count'), '0')
            await page.locator('#increment').click()
            await expectText(page.locator('#count'), '1')
        })
    },
    () => ({ command: [process.execPath, FIXTURE] })
)
