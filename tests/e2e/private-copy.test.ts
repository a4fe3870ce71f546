/**
 * The plugin README's advice for a page a browser may keep (`private, no-cache`, an ETag,
 * `Vary: Cookie`), in Chromium with its back-forward cache on, as users have it: Back after a
 * sign-out shows the signed-out user's page as it was, whatever `Vary` says. Only `no-store`
 * keeps it from coming back.
 */
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'

e2eSuite(
    'a page the browser may keep',
    (e2e) => {
        for (const [kept, shownAfterSignOut] of [
            ['1', 'alice'],
            ['0', 'nobody']
        ] as const) {
            browserTest(
                `Back after a sign-out shows ${shownAfterSignOut}, sent ${kept === '1' ? 'private, no-cache with Vary: Cookie' : 'no-store'}`,
                async () => {
                    const page = await e2e.openPage('/sign-in')
                    await page.goto(`/?kept=${kept}`)
                    await expectText(page.locator('#who'), 'alice')
                    await page.goto('/sign-out')
                    // A page restored from the back-forward cache fires no load event: its commit is the return.
                    await page.goBack({ waitUntil: 'commit' })
                    await expectText(page.locator('#who'), shownAfterSignOut)
                }
            )
        }
    },
    fixtureServer('private-copy-app.ts')
)
