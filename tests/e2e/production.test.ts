/**
 * In production the session cookie is `__Host-session`, Secure: Chromium keeps it on a local
 * address over plain http, as it would over https, and the user's state follows them. Over
 * plain http under any other name it is refused, and the page says so.
 */
import { expect } from 'bun:test'
import { PLAIN_HTTP_HOST } from './chromium'
import { addToCart, button, expectBadge } from './demo'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

e2eSuite(
    'production session cookie in a browser',
    (e2e) => {
        browserTest('the cart survives a reload under __Host-session, Secure, Path=/', async () => {
            const page = await e2e.openPage('/cart')
            await addToCart(page, 'Enamel mug', 1)
            await page.reload()
            await expectBadge(page, 1)
            const cookies = await page.context().cookies()
            expect(cookies.map(({ name, secure, path, httpOnly }) => ({ name, secure, path, httpOnly }))).toEqual([
                { name: '__Host-session', secure: true, path: '/', httpOnly: true }
            ])
        })

        browserTest(
            'over plain http on a name that is not local, the refused cookie is named, not a reload',
            async () => {
                const page = await e2e.openPage('/counter')
                const insecure = new URL(page.url())
                insecure.hostname = PLAIN_HTTP_HOST
                await page.goto(insecure.href)
                await button(page, '+1').click()
                await expectText(page.locator('#alerts'), /its session cookie did not come with the request/)
                expect(await page.context().cookies(insecure.href)).toEqual([])
            }
        )
    },
    () => ({ env: { NODE_ENV: 'production' } })
)
