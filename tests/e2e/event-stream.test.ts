/**
 * A keep-alive on an event stream that htmx's `hx-sse` reads (docs/deployment.md): Elysia's
 * generator sends every string it yields after an `sse()` as a `data:` line, so a comment
 * yielded as `: keep-alive` is a message, swapped in over what the stream showed. An event of
 * its own (`sse({ event: 'keep-alive' })`) is dispatched on the element and swaps nothing.
 */
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'

e2eSuite(
    'a keep-alive on an event stream',
    (e2e) => {
        browserTest('sent as an event of its own, leaves what the stream showed', async () => {
            const page = await e2e.openPage('/?keepAlive=event')
            await expectText(page.locator('#pings'), '1')
            await expectText(page.locator('#live'), 'Cart: 1')
        })

        browserTest('yielded as a comment string, replaces what the stream showed', async () => {
            const page = await e2e.openPage('/?keepAlive=comment')
            await expectText(page.locator('#live'), ': keep-alive')
            await expectText(page.locator('#pings'), '0')
        })
    },
    fixtureServer('event-stream-app.ts')
)
