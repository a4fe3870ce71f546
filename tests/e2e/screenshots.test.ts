/**
 * Screenshots of the demo pages at 1280x800 in the light and the dark theme, written on
 * every run to test-results/screenshots/ (git-ignored). With UPDATE_SCREENSHOTS=1 they
 * also replace the committed set in docs/screenshots/, which the README shows.
 */
import { expect } from 'bun:test'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { addToCart, button, expectCount, increment, navigate, pickTheme } from './demo'
import { browserTest, e2eSuite } from './harness'

const ROOT = join(import.meta.dir, '../..')
const OUTPUT = join(ROOT, 'test-results/screenshots')
const COMMITTED = join(ROOT, 'docs/screenshots')
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47]

const shoot = async (page: Page, name: string) => {
    // Keep the pointer from leaving a hover state in the picture.
    await page.mouse.move(0, 0)
    const png = await page.screenshot({ path: join(OUTPUT, `${name}.png`), animations: 'disabled', caret: 'hide' })
    expect([...png.subarray(0, 4)]).toEqual(PNG_SIGNATURE)
    if (process.env.UPDATE_SCREENSHOTS === '1') await writeFile(join(COMMITTED, `${name}.png`), png)
}

e2eSuite('screenshots', (e2e) => {
    for (const theme of ['Light', 'Dark'] as const) {
        browserTest(`counter, cart, theme and account pages, ${theme.toLowerCase()}`, async () => {
            await mkdir(OUTPUT, { recursive: true })
            if (process.env.UPDATE_SCREENSHOTS === '1') await mkdir(COMMITTED, { recursive: true })
            const suffix = theme.toLowerCase()
            const page = await e2e.openPage('/theme', { colorScheme: theme === 'Dark' ? 'dark' : 'light' })

            await pickTheme(page, theme)
            await shoot(page, `theme-${suffix}`)

            await navigate(page, 'Cart')
            await addToCart(page, 'Enamel mug', 1)
            await addToCart(page, 'Enamel mug', 2)
            await addToCart(page, 'Fountain pen', 3)
            await shoot(page, `cart-${suffix}`)

            await navigate(page, 'Counter')
            await expectCount(page, 0)
            await increment(page, 3)
            await shoot(page, `counter-${suffix}`)

            await navigate(page, 'Account')
            await page.getByLabel('Name').fill('Ada')
            await Promise.all([page.waitForEvent('load'), button(page, 'Sign in').click()])
            await shoot(page, `account-${suffix}`)
        })
    }
})
