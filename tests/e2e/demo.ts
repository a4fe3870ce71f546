/**
 * Steps a user takes in the demo, written against its DOM contract (nav links, `#count`,
 * `#cart-badge`, product <article>s, `[data-cart-line]`, theme buttons), so scenarios read
 * as what the user does.
 */
import { expect } from 'bun:test'
import type { Locator, Page } from 'playwright-core'
import { expectAttribute, expectText } from './expect'

/** The button labelled exactly `name`, in a page or inside a part of it. */
export const button = (scope: Page | Locator, name: string) => scope.getByRole('button', { name, exact: true })

/** The nav badge's text starts with the cart's item count. */
export const expectBadge = (page: Page, count: number) =>
    expectText(page.locator('#cart-badge'), new RegExp(`^\\s*${count}\\b`))

export const expectCount = (page: Page, count: number) => expectText(page.locator('#count'), String(count))

export const expectTheme = (page: Page, theme: string) => expectAttribute(page.locator('html'), 'data-theme', theme)

/** The product's card on /cart. */
export const product = (page: Page, name: string) =>
    page.locator('article').filter({ has: page.getByRole('heading', { level: 3, name, exact: true }) })

/** The cart line of `productId` on /cart. */
export const cartLine = (page: Page, productId: string) => page.locator(`[data-cart-line="${productId}"]`)

/**
 * Types `quantity` into a cart line's field, in place of what it held. Cleared first: in Firefox
 * (WebDriver BiDi), playwright-core's `fill` appends to a number field, whose text it cannot select.
 */
export const fillQuantity = async (line: Locator, quantity: string) => {
    const field = line.getByLabel('Quantity')
    await field.clear()
    await field.fill(quantity)
}

/** Clicks a nav link and waits for the page it points to to load. */
export const navigate = async (page: Page, label: string) => {
    const link = page.getByRole('navigation').getByRole('link', { name: label })
    const path = await link.getAttribute('href')
    await Promise.all([page.waitForURL((url) => url.pathname === path, { waitUntil: 'load' }), link.click()])
}

/**
 * Submits a form by `submit` (a click) as a browser does without htmx, and waits until the page
 * the server's 303 sends it back to has loaded. Returns that page's address (its `page_id`).
 *
 * @example
 * const landed = await postAndLandBack(page, () => button(page, '+1').click())
 */
export const postAndLandBack = async (page: Page, submit: () => Promise<unknown>) => {
    const [landing] = await Promise.all([
        // The GET that lands back on the page, after the POST's redirect: htmx would swap in place.
        page.waitForResponse(
            (response) => response.request().isNavigationRequest() && response.request().method() === 'GET'
        ),
        page.waitForEvent('load'),
        submit()
    ])
    const post = landing.request().redirectedFrom()
    expect(post?.method()).toBe('POST')
    expect((await post?.response())?.status()).toBe(303)
    return new URL(landing.url())
}

/**
 * On /cart, adds `name` and waits for the badge to show `badgeAfter`.
 *
 * @example
 * await addToCart(page, 'Enamel mug', 1)
 */
export const addToCart = async (page: Page, name: string, badgeAfter: number) => {
    await button(product(page, name), 'Add to cart').click()
    await expectBadge(page, badgeAfter)
}

/** On /account, signs in as `name` and waits for the page that loads afresh. */
export const signIn = async (page: Page, name: string, { remember = false } = {}) => {
    await page.getByLabel('Name').fill(name)
    if (remember) await page.getByLabel('Keep me signed in').check()
    await Promise.all([page.waitForEvent('load'), button(page, 'Sign in').click()])
}

/** On /theme, picks `theme` and waits until the page shows it. */
export const pickTheme = async (page: Page, label: 'Light' | 'Dark' | 'System') => {
    await button(page, label).click()
    await expectAttribute(button(page, label), 'aria-pressed', 'true')
}

/** +1 `times`, waiting for each answer, as a user watching the number would. */
export const increment = async (page: Page, times: number) => {
    const start = Number((await page.locator('#count').textContent())?.trim())
    for (let step = 1; step <= times; step++) {
        await button(page, '+1').click()
        await expectCount(page, start + step)
    }
}

/** From /cart: a mug in the cart, the Dark theme, then `count` on the counter: a user holding some of everything. */
export const holdSomeOfEverything = async (page: Page, count: number) => {
    await addToCart(page, 'Enamel mug', 1)
    await navigate(page, 'Theme')
    await pickTheme(page, 'Dark')
    await navigate(page, 'Counter')
    await increment(page, count)
}

/**
 * Adds a part that polls `/api/count` every 100 ms, as a page waiting for a payment would: a
 * request the user did not start. Returns a wait for `more` of its answers, heard after app.js.
 */
export const startPolling = async (page: Page) => {
    await page.evaluate(() => {
        const poll = Object.assign(document.createElement('p'), { id: 'poll' })
        poll.setAttribute('hx-get', '/api/count')
        poll.setAttribute('hx-trigger', 'every 100ms')
        poll.setAttribute('hx-swap', 'none')
        const polled = window as unknown as { polls: number }
        polled.polls = 0
        poll.addEventListener('htmx:after:request', () => polled.polls++)
        document.querySelector('main')?.append(poll)
        ;(window as unknown as { htmx: { process(element: Element): void } }).htmx.process(poll)
    })
    return async (more: number) => {
        const before = await page.evaluate(() => (window as unknown as { polls: number }).polls)
        await page.waitForFunction((count) => (window as unknown as { polls: number }).polls >= count, before + more)
    }
}
