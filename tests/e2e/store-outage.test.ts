/**
 * The session store goes down while a page is open (a real redis-server, stopped and
 * started again): the click that fails says so in the page's alert region and leaves the
 * counter in place; once the store is back, the next click continues from the same count
 * and clears the message. A page loaded meanwhile says what happened, and loads again
 * once the store is back.
 */
import { expect, test } from 'bun:test'
import { REDIS_SKIPPED, useRedis } from '../helpers/redis'
import { addToCart, button, expectBadge, expectCount, increment } from './demo'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

const redis = useRedis()

if (REDIS_SKIPPED) test.skip('a store outage in a browser (needs redis-server)', () => {})
else
    e2eSuite(
        'a store outage in a browser',
        (e2e) => {
            browserTest('the failed click is explained and changes nothing; after recovery it counts on', async () => {
                const page = await e2e.openPage('/counter')
                await increment(page, 1)

                await redis().stop()
                try {
                    await button(page, '+1').click()
                    await expectText(page.getByRole('alert'), /session is unavailable/)
                    await expectCount(page, 1)
                } finally {
                    await redis().start()
                }

                await increment(page, 1)
                await expectCount(page, 2)
                // The message is gone: the alert region is empty again.
                await page
                    .getByRole('alert')
                    .getByText(/session is unavailable/)
                    .waitFor({ state: 'detached' })
            })

            browserTest('a page loaded while the store is down says so; after recovery it loads', async () => {
                const page = await e2e.openPage('/cart')
                await addToCart(page, 'Enamel mug', 1)

                await redis().stop()
                try {
                    const response = await page.reload()
                    expect(response?.status()).toBe(503)
                    await expectText(page.getByRole('heading', { level: 1 }), 'Session unavailable')
                    await expectText(page.locator('.lead'), /session is unavailable/)
                } finally {
                    await redis().start()
                }

                await page.reload()
                await expectText(page.getByRole('heading', { level: 1 }), 'Cart')
                await expectBadge(page, 1)
            })
        },
        () => ({ env: { SCOPED_STATE_STORE: redis().url } })
    )
