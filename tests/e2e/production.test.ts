/**
 * In production the session cookie is `__Host-session`, Secure: Chromium keeps it on a local
 * address over plain http, as it would over https, and the user's state follows them.
 */
import { expect } from 'bun:test'
import { addToCart, expectBadge } from './demo'
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
    },
    () => ({ env: { NODE_ENV: 'production' } })
)
