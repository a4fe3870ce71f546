/**
 * The spec's counter scenario, by clicking in a real browser: htmx requests, the session
 * cookie and the page scope working together. Without JavaScript the same buttons are
 * plain forms answered with a 303 back to the page.
 */
import { expect } from 'bun:test'
import type { Route } from 'playwright-core'
import {
    button,
    expectBadge,
    expectCount,
    expectTheme,
    holdSomeOfEverything,
    increment,
    postAndLandBack,
    startPolling
} from './demo'
import { expectGone, expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

e2eSuite('counter in a browser', (e2e) => {
    browserTest('two users count independently (the spec scenario)', async () => {
        const alice = await e2e.openPage('/counter')
        await expectCount(alice, 0)
        await increment(alice, 3)

        const bob = await e2e.openPage('/counter')
        await expectCount(bob, 0)
        await increment(bob, 1)

        await expectCount(alice, 3)
        // Alice's next click continues from her own 3, not from Bob's 1.
        await increment(alice, 1)
        await expectCount(alice, 4)
    })

    browserTest('-1, Reset and Full reset update the count in place', async () => {
        const page = await e2e.openPage('/counter')
        await increment(page, 1)
        await button(page, '-1').click()
        await expectCount(page, 0)
        await button(page, '-1').click()
        await expectCount(page, -1)
        await button(page, 'Reset').click()
        await expectCount(page, 0)
        await increment(page, 1)
        await button(page, 'Full reset').click()
        await expectCount(page, 0)
    })

    browserTest('Full reset also empties the badge and brings back the default theme, in place', async () => {
        const page = await e2e.openPage('/cart')
        await holdSomeOfEverything(page, 1)
        await button(page, 'Full reset').click()
        await expectCount(page, 0)
        await expectBadge(page, 0)
        await expectTheme(page, 'system')
    })

    browserTest('a click that reaches no server says so; the next one that is answered clears it', async () => {
        const page = await e2e.openPage('/counter')
        await increment(page, 1)
        /** A +1 that `fails` instead of reaching the app: said so, the count kept; the next +1 clears the message. */
        const failedClick = async (fails: (route: Route) => Promise<void>, count: number) => {
            await page.route('**/api/increment', fails)
            await button(page, '+1').click()
            await expectText(page.locator('#alerts'), /could not be reached/)
            await expectCount(page, count)
            await page.unroute('**/api/increment')
            await increment(page, 1)
            await expectGone(page.locator('#alerts .notice'))
        }
        await failedClick((route) => route.abort('internetdisconnected'), 1)
        // A proxy's error page while the app restarts: the same, not swapped in place of the count.
        await failedClick(
            (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' }),
            2
        )
        // A 500 written before the app (a proxy's, a platform's): told the same, not as a refusal.
        await failedClick(
            (route) => route.fulfill({ status: 500, contentType: 'text/plain', body: 'Internal Server Error' }),
            3
        )

        // An error in the page itself (here an attribute htmx cannot parse) sends nothing: no such message.
        const sent: string[] = []
        page.on('request', (request) => sent.push(request.url()))
        await page.evaluate(() => {
            const broken = Object.assign(document.createElement('button'), { id: 'broken', textContent: 'Broken' })
            broken.setAttribute('hx-post', '/api/increment')
            broken.setAttribute('hx-vals', '{oops')
            document.querySelector('main')?.append(broken)
            ;(window as unknown as { htmx: { process(element: Element): void } }).htmx.process(broken)
        })
        await page.locator('#broken').click()
        // A real +1 after it, its answer held: by its request, any request or message of the broken
        // button's came first, and no answer has yet cleared a message.
        const answer = Promise.withResolvers<void>()
        await page.route('**/api/increment', async (route) => {
            await answer.promise
            await route.continue()
        })
        const requested = page.waitForRequest('**/api/increment')
        await button(page, '+1').click()
        await requested
        expect(await page.locator('#alerts .notice').count()).toBe(0)
        answer.resolve()
        await expectCount(page, 5)
        expect(sent.map((url) => new URL(url).pathname)).toEqual(['/api/increment'])
    })

    browserTest("a poll's answer leaves a lost click's message; it clears a failed poll's own", async () => {
        const page = await e2e.openPage('/counter')
        await expectCount(page, 0)
        const pollsAnswered = await startPolling(page)
        await page.route('**/api/increment', (route) => route.abort('internetdisconnected'))
        await button(page, '+1').click()
        await expectText(page.locator('#alerts'), /could not be reached/)
        await pollsAnswered(2)
        // The user did not start the poll: the click is still lost, and still said to be.
        await expectText(page.locator('#alerts'), /could not be reached/)
        await page.unroute('**/api/increment')
        await increment(page, 1)
        await expectGone(page.locator('#alerts .notice'))

        await page.route('**/api/count', (route) => route.abort('internetdisconnected'))
        // A poll changes nothing: it is not said to have lost a change.
        await expectText(page.locator('#alerts'), /could not be reached, so this page was not updated/)
        await page.unroute('**/api/count')
        await pollsAnswered(1)
        await expectGone(page.locator('#alerts .notice'))
    })

    browserTest("a click with no answer within htmx's timeout is told as one that reached no server", async () => {
        const page = await e2e.openPage('/counter')
        await expectCount(page, 0)
        // htmx 4 aborts the request (its signal's reason 'timeout') and retries nothing.
        await page.evaluate(() => {
            ;(window as unknown as { htmx: { config: { defaultTimeout: number } } }).htmx.config.defaultTimeout = 200
        })
        const released = Promise.withResolvers<void>()
        await page.route('**/api/increment', async (route) => {
            await released.promise
            await route.continue().catch(() => {})
        })
        await button(page, '+1').click()
        await expectText(page.locator('#alerts'), /could not be reached, so this may not have been saved/)
        await expectCount(page, 0)
        released.resolve()
        await page.unroute('**/api/increment')
        await increment(page, 1)
        await expectGone(page.locator('#alerts .notice'))
    })

    browserTest('without JavaScript, +1 posts a form and the redirect keeps the page scope', async () => {
        const page = await e2e.openPage('/counter', { javaScriptEnabled: false })
        await expectCount(page, 0)

        for (const expected of [1, 2]) {
            const landed = await postAndLandBack(page, () => button(page, '+1').click())
            expect(landed.searchParams.get('page_id')).toBeTruthy()
            await expectCount(page, expected)
        }
    })
})
