/**
 * Cart rules, apart from HTTP: totals, and changes that keep the cart valid. Every change
 * returns a new cart or the reason it was refused; the cart passed in is never modified.
 */

import { type CartLine, findProduct, type Product } from './catalog'
import { echoed } from './user-text'

export const MAX_QUANTITY = 99

export type CartError =
    | { kind: 'unknown-product'; productId: string; message: string }
    | { kind: 'invalid-quantity'; productId: string; message: string; input: string }
    | { kind: 'line-full'; productId: string; message: string }

type Refused = { ok: false; error: CartError }
/** An accepted change; `note` says how it differs from what was asked. */
export type CartChange = { ok: true; cart: CartLine[]; product?: Product; note?: string } | Refused

export interface PricedLine extends CartLine {
    product: Product
    subtotalCents: number
}

/**
 * @example cartCount([{ productId: 'mug', quantity: 2 }, { productId: 'pen', quantity: 1 }]) // 3
 */
export const cartCount = (cart: readonly CartLine[]) => cart.reduce((sum, line) => sum + line.quantity, 0)

/**
 * The lines with their product and subtotal, and the total. Lines whose product left the
 * catalog are skipped rather than shown without a price.
 * @example priceCart([{ productId: 'mug', quantity: 2 }]).totalCents // 3600
 */
export const priceCart = (cart: readonly CartLine[]) => {
    const lines: PricedLine[] = []
    for (const line of cart) {
        const product = findProduct(line.productId)
        if (product) lines.push({ ...line, product, subtotalCents: product.priceCents * line.quantity })
    }
    return { lines, totalCents: lines.reduce((sum, line) => sum + line.subtotalCents, 0) }
}

const unknownProduct = (productId: string): Refused => {
    const shown = echoed(productId)
    return {
        ok: false,
        error: {
            kind: 'unknown-product',
            productId,
            message:
                shown === '' ? 'Choose a product from the catalog.' : `There is no product “${shown}” in the catalog.`
        }
    }
}

/** A form field as text: forms send strings, JSON clients may send numbers. */
const asText = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '')

/**
 * A quantity from a request field: a whole number from 1 to MAX_QUANTITY, or the message to show.
 * @example parseQuantity('3') // { ok: true, quantity: 3 }
 */
export const parseQuantity = (value: unknown) => {
    const input = asText(value)
    // Only a field left empty is missing: a repeated one (an array) or a JSON `true` is not a number.
    const missing = value === undefined || value === null || (typeof value === 'string' && input === '')
    if (missing) return { ok: false, input, message: `Enter a quantity from 1 to ${MAX_QUANTITY}.` } as const
    // Digits only, however many: a number field sends what was typed, leading zeros too ("0005");
    // the range check refuses the rest (a long run of other digits is past 99, or Infinity).
    const quantity = /^\d+$/.test(input) ? Number(input) : Number.NaN
    if (!(quantity >= 1 && quantity <= MAX_QUANTITY))
        return { ok: false, input, message: `Enter a whole number from 1 to ${MAX_QUANTITY}.` } as const
    return { ok: true, quantity } as const
}

/** Checks the product, then the quantity: the order in which the answer's status is decided (404, then 422). */
const validate = (
    productId: string,
    quantityField: unknown
): Refused | { ok: true; product: Product; quantity: number } => {
    const product = findProduct(productId)
    if (!product) return unknownProduct(productId)
    const parsed = parseQuantity(quantityField)
    if (!parsed.ok) {
        const { input, message } = parsed
        return { ok: false, error: { kind: 'invalid-quantity', productId, input, message } }
    }
    return { ok: true, product, quantity: parsed.quantity }
}

/**
 * Adds `quantity` (default 1) of a product. A line never goes above MAX_QUANTITY: an add that
 * would is cut down to reach it (with a `note`), and one to a line already there is refused.
 * @example addToCart([], 'mug', '2') // { ok: true, cart: [{ productId: 'mug', quantity: 2 }], product }
 */
export const addToCart = (cart: readonly CartLine[], productId: string, quantity: unknown = '1'): CartChange => {
    const checked = validate(productId, quantity)
    if (!checked.ok) return checked
    const existing = cart.find((line) => line.productId === productId)
    if (!existing)
        return { ok: true, product: checked.product, cart: [...cart, { productId, quantity: checked.quantity }] }
    const { product } = checked
    const room = MAX_QUANTITY - existing.quantity
    const most = `${MAX_QUANTITY}, the most the cart takes of one product.`
    if (room <= 0)
        return { ok: false, error: { kind: 'line-full', productId, message: `${product.name}: already ${most}` } }
    if (checked.quantity <= room)
        return { ok: true, product, cart: replaceLine(cart, productId, existing.quantity + checked.quantity) }
    return {
        ok: true,
        product,
        cart: replaceLine(cart, productId, MAX_QUANTITY),
        note: `added ${room} to reach ${most}`
    }
}

/**
 * Sets a line's quantity, adding the line if it is missing (the same request twice gives the same cart).
 * @example setQuantity([{ productId: 'mug', quantity: 2 }], 'mug', '5') // cart: [{ productId: 'mug', quantity: 5 }]
 */
export const setQuantity = (cart: readonly CartLine[], productId: string, quantity: unknown): CartChange => {
    const checked = validate(productId, quantity)
    if (!checked.ok) return checked
    const cartWithLine = cart.some((line) => line.productId === productId)
        ? replaceLine(cart, productId, checked.quantity)
        : [...cart, { productId, quantity: checked.quantity }]
    return { ok: true, product: checked.product, cart: cartWithLine }
}

/**
 * Removes a product's line; removing a line that is not there changes nothing.
 * @example removeFromCart([{ productId: 'mug', quantity: 2 }], 'mug') // { ok: true, cart: [], product }
 */
export const removeFromCart = (cart: readonly CartLine[], productId: string): CartChange => {
    const product = findProduct(productId)
    if (!product) return unknownProduct(productId)
    return { ok: true, product, cart: cart.filter((line) => line.productId !== productId) }
}

const replaceLine = (cart: readonly CartLine[], productId: string, quantity: number) =>
    cart.map((line) => (line.productId === productId ? { productId, quantity } : line))
