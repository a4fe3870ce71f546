/**
 * htmx's history restore in a real browser: Back to an entry htmx pushed renders the page
 * anew, in a fresh page scope, and the next click reaches that scope. The scope of the page it
 * replaced goes with it, so a tab's history takes no scope from the user's other tabs.
 */
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'

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

        browserTest("Back and Forward in one tab leave another tab's page scope alone", async () => {
            const context = await e2e.newContext()
            const tabA = await context.newPage()
            await tabA.goto('/')
            await tabA.locator('#increment').click()
            await expectText(tabA.locator('#count'), '1')

            const tabB = await context.newPage()
            await tabB.goto('/')
            await tabB.locator('#part-2').click()
            await expectText(tabB.locator('#part'), 'Part 2')
            // Each restored page gets a scope of its own, and a value in it: more of them than maxPages (16).
            for (let step = 0; step < 9; step++) {
                await tabB.goBack()
                await expectText(tabB.locator('#part'), 'Part 1')
                await tabB.locator('#increment').click()
                await expectText(tabB.locator('#count'), '1')
                await tabB.goForward()
                await expectText(tabB.locator('#part'), 'Part 2')
                await tabB.locator('#increment').click()
                await expectText(tabB.locator('#count'), '1')
            }

            await tabA.bringToFront()
            await tabA.locator('#increment').click()
            await expectText(tabA.locator('#count'), '2')
        })
    },
    fixtureServer('history-app.ts')
)
