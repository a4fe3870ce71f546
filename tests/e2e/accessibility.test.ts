/**
 * Every demo page, in the light and the dark theme and in the states users put it in (a
 * counted counter, a filled cart with a refused quantity, a refused name, a signed-in
 * account, an unknown address), passes axe-core's WCAG 2.2 AA and best-practice rules:
 * contrast, names, labels, landmarks. Then what axe cannot see: reflow at 320 px, focus
 * under the sticky header, a short window, an error out of sight, the edges of text fields,
 * whose field a label names, the count's announcement, forced colours.
 */
import { expect } from 'bun:test'
import type { Page } from 'playwright-core'
import { PRODUCTS } from '../../server/catalog'
import { accessibilityViolations } from './axe'
import { addToCart, button, cartLine, fillQuantity, increment, navigate, pickTheme } from './demo'
import { browserTest, e2eSuite } from './harness'

/** WCAG's contrast ratio of two computed `rgb(…)` colours. */
const contrast = (one: string, other: string) => {
    const luminance = (color: string) => {
        const [r, g, b] = (color.match(/[\d.]+/g) ?? []).map((part) => {
            const c = Number(part) / 255
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
        })
        return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0)
    }
    const [light, dark] = [luminance(one), luminance(other)].sort((a, b) => b - a) as [number, number]
    return (light + 0.05) / (dark + 0.05)
}

/** Every product in the cart, the last one 99 times: the widest lines and total. */
const fillCart = async (page: Page) => {
    for (const [index, { name }] of PRODUCTS.entries()) await addToCart(page, name, index + 1)
    const last = cartLine(page, PRODUCTS.at(-1)?.id ?? '')
    await fillQuantity(last, '99')
    await button(last, 'Update').click()
    await page.locator('#cart-badge[data-count="104"]').waitFor()
}

/**
 * Presses Shift+Tab `steps` times and returns the controls of <main> it focused whose top edge
 * something else covered (the sticky header, the alert region) or that stayed out of view.
 */
const coveredGoingBack = async (page: Page, steps: number) => {
    const covered: string[] = []
    for (let step = 0; step < steps; step++) {
        await page.keyboard.press('Shift+Tab')
        const name = await page.evaluate(() => {
            const focused = document.activeElement as HTMLElement | null
            if (!focused?.closest('main')) return undefined
            const { left, top, width } = focused.getBoundingClientRect()
            const hit = document.elementFromPoint(left + width / 2, top + 1)
            return hit && focused.contains(hit) ? undefined : focused.id || focused.tagName
        })
        if (name) covered.push(name)
    }
    return covered
}

e2eSuite('accessibility', (e2e) => {
    for (const theme of ['Light', 'Dark'] as const) {
        browserTest(`every page and state, ${theme.toLowerCase()}`, async () => {
            const page = await e2e.openPage('/theme', { colorScheme: theme === 'Dark' ? 'dark' : 'light' })
            const audits: Record<string, string[]> = {}
            const audit = async (name: string) => {
                audits[name] = await accessibilityViolations(page)
            }

            await pickTheme(page, theme)
            await audit('theme')

            await page.goto('/')
            await audit('home')

            await navigate(page, 'Counter')
            await increment(page, 2)
            await audit('counter')

            await navigate(page, 'Cart')
            await audit('empty cart')
            await addToCart(page, 'Enamel mug', 1)
            await addToCart(page, 'Fountain pen', 2)
            const mug = cartLine(page, 'mug')
            await fillQuantity(mug, '100')
            await button(mug, 'Update').click()
            await mug.locator('.field-error').waitFor()
            await audit('cart with a refused quantity')

            await navigate(page, 'Account')
            await button(page, 'Sign in').click()
            await page.locator('#account-error').waitFor()
            await audit('sign-in with a refused name')
            await page.getByLabel('Name').fill('Ada')
            await Promise.all([page.waitForEvent('load'), button(page, 'Sign in').click()])
            await audit('signed in')

            await page.goto('/no/such/page')
            await audit('page not found')

            expect(audits).toEqual({
                theme: [],
                home: [],
                counter: [],
                'empty cart': [],
                'cart with a refused quantity': [],
                'sign-in with a refused name': [],
                'signed in': [],
                'page not found': []
            })
        })
    }

    // What axe does not check.

    browserTest('at 320 px wide (400% zoom), no page scrolls sideways', async () => {
        const page = await e2e.openPage('/cart', { viewport: { width: 320, height: 640 } })
        await fillCart(page)
        // Every page the nav leads to, so a page added to it is checked too.
        const paths = [
            '/',
            ...(await page
                .locator('.site-nav a')
                .evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? '')))
        ]
        expect(paths).toContain('/cart')
        const tooWide: Record<string, number> = {}
        for (const path of paths) {
            await page.goto(path)
            const width = await page.evaluate(() => document.documentElement.scrollWidth)
            if (width > 320) tooWide[path] = width
        }
        expect(tooWide).toEqual({})
    })

    // 320x256: a laptop zoomed to 500%, where the header would cover a third of the window.
    for (const viewport of [
        { width: 1280, height: 800 },
        { width: 320, height: 256 }
    ])
        browserTest(
            `moving focus backwards at ${viewport.width}x${viewport.height}, no focused control is under the sticky header`,
            async () => {
                const page = await e2e.openPage('/cart', { viewport })
                await fillCart(page)
                await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
                await page.locator('footer p').click()
                expect(await coveredGoingBack(page, 30)).toEqual([])
            }
        )

    browserTest(
        'in a window 256 px tall (a laptop at 500%), the header scrolls away instead of covering half of it',
        async () => {
            const page = await e2e.openPage('/cart', { viewport: { width: 320, height: 256 } })
            await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight))
            const headerBottom = await page
                .locator('.site-header')
                .evaluate((header) => header.getBoundingClientRect().bottom)
            expect(headerBottom).toBeLessThanOrEqual(0)
        }
    )

    browserTest('a failed request says so in sight, though its button was far down the page', async () => {
        const page = await e2e.openPage('/cart', { viewport: { width: 390, height: 844 } })
        await fillCart(page)
        await page.route('**/cart/clear', (route) => route.abort('internetdisconnected'))
        await button(page, 'Clear cart').click()
        const alert = page.locator('#alerts .notice')
        await alert.waitFor()
        const [box, headerBottom] = await Promise.all([
            alert.evaluate((notice) => notice.getBoundingClientRect().toJSON() as DOMRect),
            page.locator('.site-header').evaluate((header) => header.getBoundingClientRect().bottom)
        ])
        expect(box.top).toBeGreaterThanOrEqual(headerBottom)
        expect(box.bottom).toBeLessThanOrEqual(844)
        // Going back up the cart, every control focused shows below the message, not under it.
        expect(await coveredGoingBack(page, 12)).toEqual([])
    })

    for (const colorScheme of ['light', 'dark'] as const)
        browserTest(`text fields show their edges at 3:1, ${colorScheme}`, async () => {
            const page = await e2e.openPage('/cart', { colorScheme })
            await addToCart(page, 'Enamel mug', 1)
            await navigate(page, 'Account')
            const edgeContrast = async (field: string, panel: string) => {
                const [edge, background] = await page.evaluate(
                    ([field, panel]) => [
                        getComputedStyle(document.querySelector(field as string) as Element).borderTopColor,
                        getComputedStyle(document.querySelector(panel as string) as Element).backgroundColor
                    ],
                    [field, panel] as const
                )
                return contrast(edge, background)
            }
            expect(await edgeContrast('#account-name', '#account')).toBeGreaterThanOrEqual(3)
            await navigate(page, 'Cart')
            expect(await edgeContrast('#quantity-mug', '#cart')).toBeGreaterThanOrEqual(3)
        })

    browserTest('each quantity field is named after its product', async () => {
        const page = await e2e.openPage('/cart')
        await addToCart(page, 'Enamel mug', 1)
        await addToCart(page, 'Fountain pen', 2)
        // Names as the browser computes them for assistive technology, not the label's text.
        for (const name of ['Quantity of Enamel mug', 'Quantity of Fountain pen'])
            expect(await page.getByRole('spinbutton', { name, exact: true }).count()).toBe(1)
    })

    browserTest('a new count is announced with its label: "Count 3", not "3"', async () => {
        const page = await e2e.openPage('/counter')
        await increment(page, 3)
        const region = page.locator('[aria-live]', { has: page.locator('#count') })
        expect(await region.getAttribute('aria-atomic')).toBe('true')
        expect(await region.ariaSnapshot()).toBe('- paragraph: Count 3')
    })

    browserTest('in forced colours (Windows contrast themes), the current page is outlined', async () => {
        const page = await e2e.openPage('/theme', { forcedColors: 'active' })
        // Outside forced colours the outline is there too, transparent: what counts is the colour it is forced to.
        const outline = await page.locator('.nav-item.is-current').evaluate((item) => {
            const { outlineStyle, outlineColor } = getComputedStyle(item)
            return { outlineStyle, outlineColor }
        })
        expect(outline.outlineStyle).toBe('solid')
        expect(outline.outlineColor).not.toBe('rgba(0, 0, 0, 0)')
    })
})
