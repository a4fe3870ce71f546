/**
 * The spec's "HTMX Integration" example in a real browser: its server code and its
 * counter.html (tests/e2e/fixtures), with htmx 4 from this origin.
 */

import { expect } from 'bun:test'
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'
import { slowDown } from './slow-network'

e2eSuite(
    "the spec's HTMX counter",
    (e2e) => {
        browserTest('A clicks 3 times and sees 3; B sees 0, then 1; a refresh starts A again at 0', async () => {
            // The page's span loads `<span id="count">` into itself (htmx's default innerHTML swap),
            // so there are two until the first click replaces the outer one: the outer one reads the count.
            const a = await e2e.openPage('/app')
            const aCount = a.locator('#count').first()
            await expectText(aCount, '0')
            const increment = a.getByRole('button', { name: '+1' })
            for (const expected of ['1', '2', '3']) {
                await increment.click()
                await expectText(aCount, expected)
            }

            const b = await e2e.openPage('/app')
            const bCount = b.locator('#count').first()
            await expectText(bCount, '0')
            await b.getByRole('button', { name: '+1' }).click()
            await expectText(bCount, '1')

            await a.getByRole('button', { name: '-1' }).click()
            await expectText(aCount, '2')
            await a.reload()
            await expectText(aCount, '0')
            await increment.click()
            await expectText(aCount, '1')
        })

        browserTest(
            'a double-click faster than the answers counts twice; the page shows it at the next answer',
            async () => {
                const page = await e2e.openPage('/app')
                const count = page.locator('#count').first()
                await expectText(count, '0')
                await slowDown(page, '**/api/*')
                const swapped = page.evaluate(
                    () => new Promise<void>((resolve) => document.addEventListener('htmx:after:swap', () => resolve()))
                )
                await page.getByRole('button', { name: '+1' }).dblclick()
                await swapped
                // htmx 4 sends the second click once the first answer is swapped, and drops its answer:
                // its target, the span that `outerHTML` replaced, has left the page. The spec's markup
                // as written shows 1 until the next answer; `outerMorph` keeps the span (views/counter.tsx).
                await page.unroute('**/api/*')
                const held = () => page.evaluate(async () => (await fetch('/api/count')).text())
                for (let tries = 0; tries < 50 && (await held()) !== '<span id="count">2</span>'; tries++)
                    await Bun.sleep(50)
                expect(await held()).toBe('<span id="count">2</span>')
                await page.getByRole('button', { name: '+1' }).click()
                await expectText(count, '3')
            }
        )
    },
    fixtureServer('spec-htmx-app.ts')
)
