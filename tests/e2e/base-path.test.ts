/**
 * The demo under `BASE_PATH=/shop`, as behind a proxy that passes `/shop/…` on as it is
 * (docs/deployment.md): with and without JavaScript, no request leaves /shop and none fails, and
 * live reload's socket (`bun run dev`) connects there too.
 */
import { expect } from 'bun:test'
import { addToCart, expectBadge, increment, navigate, pickTheme, signIn } from './demo'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

e2eSuite(
    'under a path prefix in a browser',
    (e2e) => {
        for (const javaScript of [true, false])
            browserTest(`every demo works under /shop${javaScript ? '' : ', JavaScript off'}`, async () => {
                const context = await e2e.newContext({ javaScriptEnabled: javaScript })
                const astray: string[] = []
                context.on('request', (request) => {
                    if (!new URL(request.url()).pathname.startsWith('/shop/')) astray.push(request.url())
                })
                context.on('response', (response) => {
                    if (response.status() >= 400) astray.push(`${response.status()} ${response.url()}`)
                })
                const page = await context.newPage()
                await page.goto('/shop/counter')
                await increment(page, 2)
                await navigate(page, 'Cart')
                await addToCart(page, 'Enamel mug', 1)
                await navigate(page, 'Theme')
                await pickTheme(page, 'Dark')
                await navigate(page, 'Account')
                await signIn(page, 'Ada')
                expect(new URL(page.url()).pathname).toBe('/shop/account')
                await expectText(page.locator('#account strong'), 'Ada')
                await expectBadge(page, 1)
                expect(astray).toEqual([])
            })

        browserTest("bun run dev's live reload connects under /shop", async () => {
            const page = await (await e2e.newContext()).newPage()
            const opened = page.waitForEvent('websocket')
            await page.goto('/shop/counter')
            const socket = await opened
            expect(new URL(socket.url()).pathname).toBe('/shop/_dev/live-reload')
            // The server's id: the socket was let in.
            await socket.waitForEvent('framereceived')
        })
    },
    () => ({ env: { BASE_PATH: '/shop', LIVE_RELOAD: '1' } })
)
