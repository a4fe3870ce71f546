/**
 * The account demo in a real browser: signing in reloads the page under a new session
 * cookie with the cart kept; signing out leaves a new visitor's page; a refused name says
 * why next to the field. With JavaScript off the same forms work through redirects, and a change
 * from a page of the session that ended is refused with a page that says so.
 */
import { expect } from 'bun:test'
import type { BrowserContext } from 'playwright-core'
import { sessionIdOf } from '../helpers/client'
import { addToCart, button, expectBadge, navigate, product, signIn, startPolling } from './demo'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies()).find(({ name }) => name === 'user_session_id')

/** The session id in the browser's cookie jar. */
const sessionId = async (context: BrowserContext) => {
    const cookie = await sessionCookie(context)
    return sessionIdOf(cookie && `${cookie.name}=${cookie.value}`)
}

e2eSuite('account in a browser', (e2e) => {
    for (const javaScript of [true, false])
        browserTest(`sign in and out${javaScript ? '' : ', JavaScript off'}`, async () => {
            const page = await e2e.openPage('/cart', { javaScriptEnabled: javaScript })
            await addToCart(page, 'Enamel mug', 1)
            await navigate(page, 'Account')
            const visitor = await sessionId(page.context())

            await signIn(page, 'Ada')
            expect(new URL(page.url()).pathname).toBe('/account')
            await expectText(page.locator('#account strong'), 'Ada')
            await expectBadge(page, 1)
            expect(await sessionId(page.context())).not.toBe(visitor)
            // The box left unticked: the browser drops the cookie when it closes (-1: no expiry).
            expect((await sessionCookie(page.context()))?.expires).toBe(-1)

            await Promise.all([page.waitForEvent('load'), button(page, 'Sign out').click()])
            await button(page, 'Sign in').waitFor()
            await expectBadge(page, 0)
        })

    browserTest(
        'without JavaScript, a change from a tab whose session was signed out in another says it was not saved',
        async () => {
            const context = await e2e.newContext({ javaScriptEnabled: false })
            const [cart, account] = [await context.newPage(), await context.newPage()]
            await cart.goto('/cart')
            await addToCart(cart, 'Enamel mug', 1)
            await account.goto('/account')
            await signIn(account, 'Ada')
            await Promise.all([account.waitForEvent('load'), button(account, 'Sign out').click()])
            await cart.bringToFront()
            await Promise.all([cart.waitForEvent('load'), button(product(cart, 'Canvas tote'), 'Add to cart').click()])
            await expectText(cart.locator('h1'), 'Page out of date')
            await expectText(cart.locator('.lead'), /Your change was not saved\. Open the page again from the menu;/)
            await navigate(cart, 'Cart')
            await expectBadge(cart, 0)
        }
    )

    browserTest('a form over the body limit of the server is told in the alert region, the form kept', async () => {
        const page = await e2e.openPage('/account')
        // Over 64 KiB (server/security.ts): refused before the body is read, its message for the alert region.
        await page.getByLabel('Name').fill('x'.repeat(70_000))
        const refused = page.waitForResponse((response) => response.url().endsWith('/account/sign-in'))
        await button(page, 'Sign in').click()
        expect((await refused).status()).toBe(413)
        await expectText(page.locator('#alerts'), /too large/)
        await button(page, 'Sign in').waitFor()
        await signIn(page, 'Ada')
        await expectText(page.locator('#account strong'), 'Ada')
    })

    browserTest("the app's own refusal of a click stays said through a poll's answer", async () => {
        const page = await e2e.openPage('/account')
        const pollsAnswered = await startPolling(page)
        await page.getByLabel('Name').fill('x'.repeat(70_000))
        await button(page, 'Sign in').click()
        await expectText(page.locator('#alerts'), /too large/)
        await pollsAnswered(2)
        // The user did not start the poll: the click is still refused, and still said to be.
        await expectText(page.locator('#alerts'), /too large/)
    })

    browserTest("a proxy's 413 (a body over its own limit) is told as too large, not as a refusal", async () => {
        const page = await e2e.openPage('/account')
        // nginx's own page for client_max_body_size, without the app's headers.
        await page.route('**/account/sign-in', (route) =>
            route.fulfill({ status: 413, contentType: 'text/html', body: '<h1>413 Request Entity Too Large</h1>' })
        )
        await page.getByLabel('Name').fill('Ada')
        await button(page, 'Sign in').click()
        await expectText(page.locator('#alerts'), /too large for the server to accept, so nothing was saved/)
        await button(page, 'Sign in').waitFor()
    })

    browserTest(
        'without JavaScript, a form over the body limit gets a page that says so, not a blank one',
        async () => {
            const page = await e2e.openPage('/account', { javaScriptEnabled: false })
            await page.getByLabel('Name').fill('x'.repeat(70_000))
            const refused = page.waitForResponse((response) => response.url().includes('/account/sign-in'))
            await button(page, 'Sign in').click()
            expect((await refused).status()).toBe(413)
            await expectText(page.locator('h1'), 'Too large')
            await expectText(page.locator('.lead'), /too large for the server to accept/)
        }
    )

    browserTest('a refused name says why next to the field and keeps what was typed', async () => {
        const page = await e2e.openPage('/account')
        const tooLong = 'x'.repeat(41)
        await page.getByLabel('Name').fill(tooLong)
        await button(page, 'Sign in').click()
        await expectText(page.locator('#account-error'), /at most 40 characters/)
        expect(await page.getByLabel('Name').inputValue()).toBe(tooLong)
        await signIn(page, 'Grace', { remember: true })
        await expectText(page.locator('#account strong'), 'Grace')
        // Ticked, it outlives the browser: for idleTimeout, a week.
        const expires = (await sessionCookie(page.context()))?.expires ?? 0
        expect(expires - Date.now() / 1000).toBeGreaterThan(6 * 24 * 3600)
    })

    browserTest(
        'on a right-to-left page, code reads left to right: a call keeps its parentheses after its name',
        async () => {
            const page = await e2e.openPage('/account')
            // As an app in Arabic or Hebrew renders <html dir="rtl">, with its code quoted as written.
            await page.evaluate(() => {
                document.documentElement.dir = 'rtl'
            })
            const left = await page.locator('code', { hasText: 'destroyScopedSession()' }).evaluate((code) => {
                const text = code.firstChild as Text
                const leftOf = (index: number) => {
                    const range = document.createRange()
                    range.setStart(text, index)
                    range.setEnd(text, index + 1)
                    return range.getBoundingClientRect().left
                }
                return { name: leftOf(0), parenthesis: leftOf(text.length - 2) }
            })
            expect(left.parenthesis).toBeGreaterThan(left.name)
        }
    )
})
