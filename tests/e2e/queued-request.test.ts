/**
 * htmx 4 still sends a request queued on an element that the running request's answer removed,
 * and drops its answer (docs/htmx-4.md): a "Load more" clicked twice moves the page scope two
 * pages on and shows one, so the next click skips a page. `hx-sync="this:drop"` keeps the second.
 */
import { expect } from 'bun:test'
import type { Page } from 'playwright-core'
import { lengthReaches } from '../helpers/wait'
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'
import { slowDown } from './slow-network'

/** Clicks "Load more" twice while its answer is on its way; resolves once `answers` requests were answered. */
const doubleClick = async (page: Page, answers: number) => {
    const answered: string[] = []
    page.on('requestfinished', (request) => {
        if (new URL(request.url()).pathname === '/more') answered.push(request.url())
    })
    await slowDown(page, '**/more?*', 500)
    await page.getByRole('button', { name: 'Load more' }).dblclick()
    await expectText(page.locator('#list li').nth(1), 'Page 2')
    await lengthReaches(answered, answers)
    expect(answered).toHaveLength(answers)
}

e2eSuite(
    'a request queued on an element that left the page',
    (e2e) => {
        browserTest('is sent, and its answer dropped: the next page is skipped', async () => {
            const page = await e2e.openPage('/')
            await doubleClick(page, 2)
            await page.getByRole('button', { name: 'Load more' }).click()
            await expectText(page.locator('#list li').nth(2), 'Page 4')
        })

        browserTest('is not made when the element drops a click while its request runs', async () => {
            const page = await e2e.openPage('/?drop=1')
            await doubleClick(page, 1)
            await page.getByRole('button', { name: 'Load more' }).click()
            await expectText(page.locator('#list li').nth(2), 'Page 3')
        })
    },
    fixtureServer('load-more-app.ts')
)
