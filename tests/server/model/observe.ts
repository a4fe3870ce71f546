/**
 * What the model-based test reads from the app's answers: the parts a user sees (the count,
 * the cart's lines and total, the badge, the theme, the signed-in name, a message), never the
 * whole HTML, so that markup changes do not break it.
 */
import { Html } from '@kitajs/html'
import { PRODUCTS } from '../../../server/catalog'
import type { Line } from './reference'

const PRICES = new Map(PRODUCTS.map((product) => [product.id, product.priceCents]))

/** `$1,234.50` in cents. */
const centsOf = (money: string) => Math.round(Number(money.replace(/[$,]/g, '')) * 100)

/** The number in `<span id="count">`, in the fragment or the counter page. */
export const countOf = (html: string) => {
    const found = /<span id="count"[^>]*>(-?\d+)<\/span>/.exec(html)?.[1]
    return found === undefined ? undefined : Number(found)
}

/** The cart's lines in order, each quantity read back from its subtotal, and the total shown (0 when none). */
export const cartOf = (html: string) => {
    const lines: Line[] = []
    const row = /data-cart-line="([^"]*)"[\s\S]*?class="cart-line-subtotal">([^<]+)</g
    for (const [, productId = '', subtotal = ''] of html.matchAll(row)) {
        const price = PRICES.get(productId)
        lines.push({ productId, quantity: price ? centsOf(subtotal) / price : Number.NaN })
    }
    const total = /id="cart-total">([^<]+)</.exec(html)?.[1]
    return { lines, totalCents: total === undefined ? 0 : centsOf(total), hasCart: html.includes('id="cart"') }
}

/** The message atop the cart saying what a plain form's change did, if any. */
export const noticeOf = (html: string) => /<p class="notice notice-done">([^<]*)<\/p>/.exec(html)?.[1]

/** The nav badge's count (a page's, or the one sent out of band). */
export const badgeOf = (html: string) => {
    const found = /id="cart-badge"[^>]*data-count="(\d+)"/.exec(html)?.[1]
    return found === undefined ? undefined : Number(found)
}

/** `<html data-theme>` of a whole page. */
export const pageThemeOf = (html: string) => /<html[^>]* data-theme="([^"]*)"/.exec(html)?.[1]

/** The theme whose button is pressed in the picker. */
export const pickedThemeOf = (html: string) =>
    /id="theme-(\w+)"[^>]*aria-pressed="true"/.exec(html)?.[1] ??
    /aria-pressed="true"[^>]*id="theme-(\w+)"/.exec(html)?.[1]

/** The signed-in name as the account page shows it (escaped), or `undefined` on the sign-in form. */
export const signedInOf = (html: string) => /Signed in as <strong><bdi>([\s\S]*?)<\/bdi><\/strong>/.exec(html)?.[1]

export const escaped = (text: string) => Html.escapeHtml(text)

/** Whether `html` shows `message` as text: escaped, where it may hold what a user typed. */
export const shows = (html: string, message: string) => html.includes(escaped(message))

/**
 * What was sent in a request that markup would break out of: none of it may come back as is.
 * Returns the first string that came back unescaped.
 */
export const unescaped = (html: string, sent: readonly unknown[]) =>
    sent.flat().find((value) => typeof value === 'string' && /[<>"]/.test(value) && html.includes(value))
