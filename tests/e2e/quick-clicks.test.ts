/**
 * Clicks faster than the server answers. htmx 4 sends a second click's request after
 * the first answer is swapped, and drops an answer whose target left the page: the
 * targets must survive the swap (morphed, not replaced), or the page stops showing what
 * the server holds. A route that delays each answer stands in for a slow network.
 */
import { expect } from 'bun:test'
import { button, cartLine, expectBadge, expectCount, expectTheme, product } from './demo'
import { expectAttribute, expectGone, expectText } from './expect'
import { browserTest, e2eSuite } from './harness'
import { slowDown } from './slow-network'

e2eSuite('clicks faster than the answers', (e2e) => {
    browserTest('counter: a double-click counts twice, and +1 then -1 ends where the server does', async () => {
        const page = await e2e.openPage('/counter')
        await expectCount(page, 0)
        await slowDown(page, '**/api/*')
        await button(page, '+1').dblclick()
        await expectCount(page, 2)
        // +1's answer is the slower: were -1 sent before it was in, its answer (2) would land first
        // and +1's (3) last. The page shows 2 before these answers too: read it once both are swapped.
        await page.unroute('**/api/*')
        await slowDown(page, '**/api/increment', 300)
        const swapped = page.evaluate(
            () =>
                new Promise<void>((resolve) => {
                    let swaps = 0
                    document.addEventListener('htmx:after:swap', () => ++swaps === 2 && resolve())
                })
        )
        await button(page, '+1').click()
        await button(page, '-1').click()
        await swapped
        await expectCount(page, 2)
        await button(page, '+1').click()
        await expectCount(page, 3)
    })

    browserTest(
        'counter: a click right after the page loads ends on its answer, whichever answer comes first',
        async () => {
            // The page loads its count again (`hx-trigger="load"`), as the spec's markup does.
            for (const [countDelay, incrementDelay] of [
                [100, 300],
                [300, 0]
            ]) {
                const context = await e2e.newContext()
                await context.addInitScript(() => {
                    const counted = window as unknown as { e2eSwaps: number }
                    counted.e2eSwaps = 0
                    document.addEventListener('htmx:after:swap', () => counted.e2eSwaps++)
                })
                const page = await context.newPage()
                await slowDown(page, '**/api/count', countDelay)
                await slowDown(page, '**/api/increment', incrementDelay)
                await page.goto('/counter')
                await button(page, '+1').click()
                // Both answers are swapped in: what the page shows now, it keeps.
                await page.waitForFunction(() => (window as unknown as { e2eSwaps: number }).e2eSwaps >= 2)
                await expectCount(page, 1)
                await button(page, '+1').click()
                await expectCount(page, 2)
            }
        }
    )

    browserTest('cart: a double-click on Add to cart shows the two items the cart holds', async () => {
        const page = await e2e.openPage('/cart')
        await slowDown(page, '**/cart/items')
        await button(product(page, 'Enamel mug'), 'Add to cart').dblclick()
        await expectBadge(page, 2)
        await expectAttribute(cartLine(page, 'mug').getByLabel('Quantity'), 'value', '2')
        await page.reload()
        await expectBadge(page, 2)
    })

    browserTest(
        'a double-click whose first request fails keeps the failure said until a new click succeeds',
        async () => {
            const page = await e2e.openPage('/counter')
            await expectCount(page, 0)
            let sent = 0
            // The first request is lost on the way; the second, queued behind it, gets through.
            await page.route('**/api/increment', async (route) => {
                if (++sent > 1) return route.continue()
                await Bun.sleep(150)
                await route.abort('connectionreset')
            })
            await button(page, '+1').dblclick()
            await expectCount(page, 1)
            // Not "reload the page", which would start the counter over.
            await expectText(
                page.locator('#alerts'),
                /may not have been saved\. Check your connection, then try again\./
            )
            await button(page, '+1').click()
            await expectCount(page, 2)
            await expectGone(page.locator('#alerts .notice'))
        }
    )

    browserTest(
        "cart: a triple-click whose second add a proxy's rate limit refuses says so, and keeps the cart",
        async () => {
            const page = await e2e.openPage('/cart')
            let sent = 0
            // The rate limit in front of the app (docs/deployment.md's nginx example): its own error page, no app headers.
            await page.route('**/cart/items', async (route) => {
                if (++sent !== 2) return route.continue()
                await route.fulfill({ status: 429, contentType: 'text/html', body: '<h1>429 Too Many Requests</h1>' })
            })
            await button(product(page, 'Enamel mug'), 'Add to cart').click({ clickCount: 3 })
            // The third add's answer is swapped: the cart is still there to take it.
            await expectBadge(page, 2)
            await expectAttribute(cartLine(page, 'mug').getByLabel('Quantity'), 'value', '2')
            expect(sent).toBe(3)
            await expectText(page.locator('#alerts'), /refused this request, so nothing was saved/)
            await page.reload()
            await expectBadge(page, 2)
        }
    )

    browserTest('sign in: a double-click signs in once, and the page keeps its session and cart', async () => {
        const page = await e2e.openPage('/cart')
        await button(product(page, 'Enamel mug'), 'Add to cart').click()
        await expectBadge(page, 1)
        await page.goto('/account')
        const posts: string[] = []
        page.on('request', (request) => {
            if (request.method() === 'POST') posts.push(new URL(request.url()).pathname)
        })
        await slowDown(page, '**/account/sign-in')
        await page.getByLabel('Name').fill('Ada')
        await Promise.all([page.waitForEvent('load'), button(page, 'Sign in').dblclick()])
        await expectText(page.locator('#account strong'), 'Ada')
        expect(posts).toEqual(['/account/sign-in'])
        await page.reload()
        await expectText(page.locator('#account strong'), 'Ada')
        await expectBadge(page, 1)
    })

    browserTest('theme: Dark then Light at once leaves the page, the picker and the server on Light', async () => {
        const page = await e2e.openPage('/theme')
        await slowDown(page, '**/theme')
        await button(page, 'Dark').click()
        await button(page, 'Light').click()
        await expectTheme(page, 'light')
        await expectAttribute(button(page, 'Light'), 'aria-pressed', 'true')
        await expectText(page.locator('#theme-status'), /Light/)
        await page.reload()
        await expectTheme(page, 'light')
    })

    browserTest('theme: three choices at once end on the last, though the one between is skipped', async () => {
        const page = await e2e.openPage('/theme')
        // Long enough for all three clicks to land while the first choice is on its way.
        await slowDown(page, '**/theme', 1_000)
        // The page starts on System: only the answer to the last choice shows that the server has it.
        const lastAnswered = page.waitForResponse(
            (response) => new URLSearchParams(response.request().postData() ?? '').get('theme') === 'system'
        )
        const posted: (string | null)[] = []
        page.on('request', (request) => {
            if (request.method() === 'POST') posted.push(new URLSearchParams(request.postData() ?? '').get('theme'))
        })
        for (const label of ['Dark', 'Light', 'System'] as const) await button(page, label).click()
        await lastAnswered
        expect(posted).toEqual(['dark', 'system'])
        await expectAttribute(button(page, 'System'), 'aria-pressed', 'true')
        await page.reload()
        await expectAttribute(button(page, 'System'), 'aria-pressed', 'true')
    })
})
