/**
 * The plugin README's advice for a page a browser may keep (`private, no-cache`, an ETag,
 * `Vary: Cookie`), in a real browser: Back and Forward show the kept copy without asking the
 * server, unless the cookie changed since. Without `Vary: Cookie`, Back after a sign-out shows
 * the signed-out user's page to whoever uses the browser next.
 */
import { join } from 'node:path'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

const FIXTURE = join(import.meta.dir, 'fixtures/private-copy-app.ts')

e2eSuite(
    'a page the browser may keep',
    (e2e) => {
        for (const [vary, shownAfterSignOut] of [
            ['1', 'nobody'],
            ['0', 'alice']
        ] as const) {
            browserTest(
                `Back after a sign-out shows ${shownAfterSignOut}, Vary: Cookie ${vary === '1' ? 'sent' : 'left out'}`,
                async () => {
                    const page = await e2e.openPage('/sign-in')
                    await page.goto(`/?vary=${vary}`)
                    await expectText(page.locator('#who'), 'alice')
                    await page.goto('/sign-out')
                    await page.goBack()
                    await expectText(page.locator('#who'), shownAfterSignOut)
                }
            )
        }
    },
    () => ({ command: [process.execPath, FIXTURE] })
)
