/** Which requests are page loads, and the page id a page load gets and its requests send back. */
import { describe, expect, test } from 'bun:test'
import { PAGE_HEADER, withPageId } from '../../plugins/scoped-state'
import { client, inPage, NAVIGATE } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'

const PAGE_ID = /^[\w-]{12}\.[\w-]{43}$/

describe('page loads', () => {
    test('a fetch() that asks for HTML (Sec-Fetch-Mode: cors) is not a page load', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        await user.get('/count', { accept: 'text/html', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' })
        expect(await user.text('/count')).toBe('1')
    })

    test('without Sec-Fetch-Mode, a Sec-Fetch-Dest other than document is not a page load', async () => {
        const user = client(stateApp())
        await user.post('/increment')
        await user.get('/count', { accept: 'text/html', 'sec-fetch-dest': 'empty' })
        expect(await user.text('/count')).toBe('1')
        await user.get('/count', { accept: 'text/html', 'sec-fetch-dest': 'document' })
        expect(await user.text('/count')).toBe('0')
    })

    test("htmx 4's history restore (Accept: */*, no HX-Request) gets a page id of its own", async () => {
        const user = client(stateApp())
        const page = ((await (await user.get('/state', NAVIGATE)).json()) as { page: string }).page
        await user.post('/increment', inPage(page))
        const restore = { accept: '*/*', 'hx-history-restore-request': 'true', 'sec-fetch-mode': 'cors' }
        const restored = (await (await user.get('/state', { ...restore, [PAGE_HEADER]: page })).json()) as {
            page: string
        }
        expect(restored.page).toMatch(PAGE_ID)
        expect(restored.page).not.toBe(page)
        await user.post('/increment', inPage(restored.page))
        expect(await user.text('/count', inPage(restored.page))).toBe('1')
        // The page it replaced is gone from the tab, and so is its scope: 0, not the 2 of a shared one.
        expect(await user.text('/count', inPage(page))).toBe('0')
    })

    test('what a page load writes is read back by the requests that name its page id', async () => {
        const app = stateApp().get('/visit', ({ scopedStore, scopedPageId }) => {
            scopedStore.count += 10
            return scopedPageId
        })
        const user = client(app)
        const page = await user.text('/visit', NAVIGATE)
        expect(page).toMatch(PAGE_ID)
        expect(await user.text('/count', inPage(page))).toBe('10')
        expect(await (await user.post('/increment', inPage(page))).text()).toBe('11')
    })

    test('a HEAD navigation is a page load, as its GET would be', async () => {
        const app = stateApp()
        const user = client(app)
        await user.post('/increment')
        const head = new Request('http://localhost/count', {
            method: 'HEAD',
            headers: { ...NAVIGATE, cookie: user.cookie }
        })
        expect((await app.handle(head)).status).toBe(200)
        expect(await user.text('/count')).toBe('0')
    })

    test('withPageId appends to an existing query, and leaves a path alone without a page id', () => {
        expect(withPageId('/search?q=a', 'abc.def')).toBe('/search?q=a&page_id=abc.def')
        expect(withPageId('/search', 'abc.def')).toBe('/search?page_id=abc.def')
        expect(withPageId('/search', '')).toBe('/search')
        expect(withPageId('/search?q=a', '')).toBe('/search?q=a')
    })

    test('withPageId puts the page id before a #fragment, which browsers never send', () => {
        expect(withPageId('/cart#cart', 'abc.def')).toBe('/cart?page_id=abc.def#cart')
        expect(withPageId('/search?q=a#results', 'abc.def')).toBe('/search?q=a&page_id=abc.def#results')
        expect(withPageId('/faq#why?', 'abc.def')).toBe('/faq?page_id=abc.def#why?')
    })
})
