/**
 * Waiting assertions for browser state that changes after a request: they use Playwright's
 * auto-waiting (no fixed sleeps) and, on timeout, say what the page shows instead.
 * playwright-core has no `expect`; these are the few this suite needs.
 */
import type { Locator, Page } from 'playwright-core'

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A string means "exactly this text" (trimmed); a RegExp is tested against the text. */
const textPattern = (expected: string | RegExp) =>
    typeof expected === 'string' ? new RegExp(`^\\s*${escapeRegExp(expected)}\\s*$`) : expected

const describeActual = async (locator: Locator) => {
    const texts = await locator.allTextContents().catch(() => [])
    if (texts.length === 0) return 'it is not on the page'
    if (texts.length > 1) return `it matches ${texts.length} elements: ${JSON.stringify(texts)}`
    return `it reads ${JSON.stringify(texts[0]?.trim())}`
}

/**
 * Waits until `locator` is one element and `matching` (it, narrowed to what is expected) is
 * that one: checking one of several would pass beside a stale copy. Not `locator.waitFor()`
 * alone, which throws at once on several instead of waiting for the copy to go.
 */
const waitForOnly = async (
    locator: Locator,
    matching: Locator,
    timeout: number | undefined,
    state: 'visible' | 'attached'
) => {
    await matching.first().waitFor({ state, timeout })
    await locator.nth(1).waitFor({ state: 'detached', timeout })
    await matching.waitFor({ state, timeout })
}

/**
 * Waits until `locator` is one element whose text matches `expected`.
 *
 * @example
 * await page.getByRole('button', { name: '+1' }).click()
 * await expectText(page.locator('#count'), '1')
 */
export const expectText = async (locator: Locator, expected: string | RegExp, timeout?: number) => {
    try {
        await waitForOnly(locator, locator.filter({ hasText: textPattern(expected) }), timeout, 'visible')
    } catch {
        throw new Error(`expected ${locator} to read ${expected}, but ${await describeActual(locator)}`)
    }
}

/**
 * Waits until `locator` matches no element (removed or never rendered).
 *
 * @example
 * await expectGone(page.locator('[data-cart-line="mug"]'))
 */
export const expectGone = async (locator: Locator, timeout?: number) => {
    try {
        await locator.first().waitFor({ state: 'detached', timeout })
    } catch {
        throw new Error(`expected ${locator} to be gone, but ${await describeActual(locator)}`)
    }
}

/**
 * Waits until `locator`'s attribute `name` equals `value`.
 *
 * @example
 * await expectAttribute(page.locator('html'), 'data-theme', 'dark')
 */
export const expectAttribute = async (locator: Locator, name: string, value: string, timeout?: number) => {
    const selector = `[${name}="${value.replace(/["\\]/g, '\\$&')}"]`
    try {
        await waitForOnly(locator, locator.and(locator.page().locator(selector)), timeout, 'attached')
    } catch {
        const count = await locator.count()
        const actual =
            count > 1
                ? `it matches ${count} elements`
                : `it is ${JSON.stringify(await locator.getAttribute(name, { timeout: 100 }).catch(() => undefined))}`
        throw new Error(`expected ${locator} to have ${name}="${value}", but ${actual}`)
    }
}

/**
 * Marks the current document, so a test can later prove no navigation happened
 * (a reload or form post would replace the document and drop the mark).
 *
 * @example
 * const stillSameDocument = await markDocument(page)
 * await page.getByRole('button', { name: 'Add to cart' }).first().click()
 * expect(await stillSameDocument()).toBe(true)
 */
export const markDocument = async (page: Page) => {
    const mark = crypto.randomUUID()
    await page.evaluate((value) => {
        ;(window as unknown as { e2eMark?: string }).e2eMark = value
    }, mark)
    return async () => (await page.evaluate(() => (window as unknown as { e2eMark?: string }).e2eMark)) === mark
}
