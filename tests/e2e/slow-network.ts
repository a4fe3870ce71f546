/** A slow network for one page: answers that reach the browser a while after the server gave them. */
import type { Page } from 'playwright-core'

/**
 * Delays the answers to `pattern` by `ms` after the server gave them.
 * @example await slowDown(page, '**\/api/*'); await button(page, '+1').dblclick()
 */
export const slowDown = (page: Page, pattern: string, ms = 150) =>
    page.route(pattern, async (route) => {
        const response = await route.fetch()
        await Bun.sleep(ms)
        await route.fulfill({ response })
    })
