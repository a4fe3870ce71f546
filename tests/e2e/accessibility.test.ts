/**
 * Every demo page, in the light and the dark theme and in the states users put it in (a
 * counted counter, a filled cart with a refused quantity, a refused name, a signed-in
 * account, an unknown address), passes axe-core's WCAG 2.2 AA and best-practice rules:
 * contrast, names, labels, landmarks.
 */
import { expect } from 'bun:test'
import { accessibilityViolations } from './axe'
import { addToCart, button, cartLine, increment, navigate, pickTheme } from './demo'
import { browserTest, e2eSuite } from './harness'

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
            await mug.getByLabel('Quantity').fill('100')
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
})
