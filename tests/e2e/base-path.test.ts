/**
 * The demo under `BASE_PATH=/shop`, as behind a proxy that passes `/shop/…` on as it is
 * (docs/deployment.md): with and without JavaScript, no request leaves /shop and none fails, and
 * live reload's socket (`bun run dev`) connects there too.
 * A second app at /blog on the same host keeps its own session: browsers keep cookies per
 * host and path whatever the port, so another port of 127.0.0.1 is the same host to them.
 */
import { afterAll, beforeAll, expect } from 'bun:test'
import { type RunningServer, startServer } from '../helpers/server'
import { addToCart, expectBadge, increment, navigate, pickTheme, signIn } from './demo'
import { expectText } from './expect'
import { browserTest, e2eSuite } from './harness'

e2eSuite(
    'under a path prefix in a browser',
    (e2e) => {
        let blog: RunningServer | undefined
        beforeAll(async () => {
            blog = await startServer({ env: { BASE_PATH: '/blog' } })
        })
        afterAll(() => blog?.stop())

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

        browserTest('signing in to the app at /blog on the same host signs nobody out of /shop', async () => {
            const page = await e2e.openPage('/shop/account')
            await signIn(page, 'Ada')
            await page.goto(`${blog?.url}/blog/account`)
            await signIn(page, 'Grace')
            await expectText(page.locator('#account strong'), 'Grace')
            await page.goto('/shop/account')
            await expectText(page.locator('#account strong'), 'Ada')
        })
    },
    () => ({ env: { BASE_PATH: '/shop', LIVE_RELOAD: '1' } })
)
