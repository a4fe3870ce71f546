/**
 * The session store goes down while a page is open (a real redis-server, stopped and
 * started again): the click that fails says so in the page's alert region and leaves the
 * counter in place; once the store is back, the next click continues from the same count
 * and clears the message.
 */
import { test } from 'bun:test'
import { REDIS_SKIPPED, useRedis } from '../helpers/redis'
import { button, expectCount, increment } from './demo'
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
        },
        () => ({ env: { SCOPED_STATE_STORE: redis().url } })
    )
