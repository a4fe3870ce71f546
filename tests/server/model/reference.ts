/**
 * The reference model of the demo app: what README.md ("The demos") and the route modules'
 * header comments promise, written apart from the app's code. One `Person` is one browser
 * (one cookie): its preserved keys (cart, theme, name), the count of each page scope it
 * opened, and the default scope that scripts without a page id share.
 *
 * - Cart: six products; a line holds 1 to 99; an add past 99 stops at 99, one to a full line
 *   is refused (422); an unknown product is 404 before its quantity is looked at; a bad
 *   quantity is 422; a refused change leaves the cart as it was.
 * - Theme: light, dark or system; anything else is 422 and changes nothing.
 * - A refusal repeats what was sent without its controls and direction marks, cut to 40 characters.
 * - Cart without JavaScript: the page a change's redirect loads says what changed, once; a
 *   page loaded afresh, or again, says nothing. The message is kept in the tab's page scope.
 * - Counter: per page scope; reset zeroes this scope; full reset clears everything (every
 *   scope, cart, theme, and the name). A page whose session ended is refused (409) when it
 *   touches its count; its cart and theme still work.
 * - Account: a visible name of at most 40 characters, no control characters; signing in gives
 *   a new session (every open page out of date), carrying the cart and theme unless another
 *   name was signed in; signing out deletes everything.
 */
import { PRODUCTS } from '../../../server/catalog'

export type Theme = 'light' | 'dark' | 'system'
export interface Line {
    productId: string
    quantity: number
}

const MAX = 99
const PRICES = new Map(PRODUCTS.map((product) => [product.id, product]))

export interface Person {
    /** Raised whenever the session's id changes or it ends: pages of an earlier one are out of date. */
    epoch: number
    cart: Line[]
    theme: Theme
    username: string
    /** Whether the session cookie outlives the browser (has a Max-Age). */
    persistent: boolean
    /**
     * Counts by page id, and whether the page has a cart change's message to show; a page id is
     * valid when it was opened in the current epoch.
     */
    scopes: Map<string, { epoch: number; count: number; notice: boolean }>
    /** The scope of requests that name no page (scripts). */
    defaultCount: number
}

export const person = (): Person => ({
    epoch: 0,
    cart: [],
    theme: 'system',
    username: '',
    persistent: true,
    scopes: new Map(),
    defaultCount: 0
})

/** What a refused request is refused with. */
export interface Refusal {
    status: number
    message: string
}

export const totalCents = (cart: readonly Line[]) =>
    cart.reduce((sum, line) => sum + (PRICES.get(line.productId)?.priceCents ?? 0) * line.quantity, 0)
export const itemCount = (cart: readonly Line[]) => cart.reduce((sum, line) => sum + line.quantity, 0)

/**
 * `value` as a refusal repeats it: no controls or direction marks, at most 40 characters (a flag is
 * one) and 440 UTF-16 units, and an ellipsis when cut; `''` when nothing of what it keeps shows, and
 * the refusal asks for a value instead.
 */
const repeated = (value: string) => {
    const shown = [...characters.segment(value.replace(/[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Cs}]/gu, ''))]
    let kept = shown.slice(0, 40).map(({ segment }) => segment)
    while (kept.join('').length > 440) kept = kept.slice(0, -1)
    if (!/[^\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}]/u.test(kept.join(''))) return ''
    return kept.length < shown.length ? `${kept.join('')}…` : kept.join('')
}

/** A field as the cart reads it: only a string is a product id. */
const productOf = (value: unknown): Refusal | { id: string; name: string } => {
    const id = typeof value === 'string' ? value : ''
    const product = PRICES.get(id)
    if (product) return { id, name: product.name }
    const shown = repeated(id)
    const message =
        shown === '' ? 'Choose a product from the catalog.' : `There is no product “${shown}” in the catalog.`
    return { status: 404, message }
}

/** A quantity: a whole number from 1 to 99, typed in digits (spaces around it do not count) or a JSON number. */
const quantityOf = (value: unknown): Refusal | number => {
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
        return { status: 422, message: 'Enter a quantity from 1 to 99.' }
    const number =
        typeof value === 'number'
            ? value
            : typeof value === 'string' && /^\d+$/.test(value.trim())
              ? Number(value)
              : NaN
    if (Number.isInteger(number) && number >= 1 && number <= MAX) return number
    return { status: 422, message: 'Enter a whole number from 1 to 99.' }
}

export type CartResult = { cart: Line[] } | Refusal

export const add = (cart: readonly Line[], productField: unknown, quantityField: unknown): CartResult => {
    const product = productOf(productField)
    if ('status' in product) return product
    // The add button sends no quantity: one.
    const quantity = quantityOf(quantityField === undefined ? '1' : quantityField)
    if (typeof quantity !== 'number') return quantity
    const line = cart.find((l) => l.productId === product.id)
    if (!line) return { cart: [...cart, { productId: product.id, quantity }] }
    if (line.quantity >= MAX)
        return { status: 422, message: `${product.name}: already 99, the most the cart takes of one product.` }
    return { cart: cart.map((l) => (l === line ? { ...l, quantity: Math.min(MAX, l.quantity + quantity) } : l)) }
}

export const set = (cart: readonly Line[], productField: unknown, quantityField: unknown): CartResult => {
    const product = productOf(productField)
    if ('status' in product) return product
    const quantity = quantityOf(quantityField)
    if (typeof quantity !== 'number') return quantity
    if (!cart.some((l) => l.productId === product.id)) return { cart: [...cart, { productId: product.id, quantity }] }
    return { cart: cart.map((l) => (l.productId === product.id ? { ...l, quantity } : l)) }
}

export const remove = (cart: readonly Line[], productField: unknown): CartResult => {
    const product = productOf(productField)
    if ('status' in product) return product
    return { cart: cart.filter((l) => l.productId !== product.id) }
}

const THEMES: readonly unknown[] = ['light', 'dark', 'system']
export const theme = (value: unknown): { theme: Theme } | Refusal =>
    THEMES.includes(value)
        ? { theme: value as Theme }
        : {
              status: 422,
              message:
                  typeof value === 'string' && repeated(value) !== ''
                      ? `“${repeated(value)}” is not a theme: choose Light, Dark or System.`
                      : 'Choose Light, Dark or System.'
          }

const characters = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** The name to sign in with, as the account module's header says: trimmed, NFC, shown, no controls, at most 40 characters as a person counts them. */
export const signInName = (value: unknown): { name: string } | Refusal => {
    const typed = typeof value === 'string' ? value.trim() : ''
    // Over 6 UTF-16 units a character, too long to be normalized (its cost is quadratic).
    if (typed.length > 240) return { status: 422, message: 'Use at most 40 characters.' }
    const name = typed.isWellFormed() ? typed.normalize('NFC') : ''
    const refuse = (message: string) => ({ status: 422, message })
    if (!/[^\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}]/u.test(name))
        return refuse('Enter a name to sign in with.')
    if (/[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u.test(name))
        return refuse('Use no control characters (tabs, line breaks, direction marks).')
    if ([...characters.segment(name)].length > 40) return refuse('Use at most 40 characters.')
    return { name }
}

/** Whether `pageId` names a page of the person's current session. */
export const isCurrent = (p: Person, pageId: string | undefined) =>
    pageId !== undefined && p.scopes.get(pageId)?.epoch === p.epoch

/** A full page load: `pageId` the page the server gave, adopting `asked` when it is current. */
export const pageLoad = (p: Person, asked: string | undefined, pageId: string) => {
    if (isCurrent(p, asked)) return
    // A fresh page scope, and a fresh default one: scripts start over with every page load.
    p.scopes.set(pageId, { epoch: p.epoch, count: 0, notice: false })
    p.defaultCount = 0
}

/** Whether a load of the cart in page `pageId` shows a change's message: then it is shown, and gone. */
export const takeNotice = (p: Person, pageId: string | undefined) => {
    const scope = isCurrent(p, pageId) ? p.scopes.get(pageId as string) : undefined
    const shown = scope?.notice === true
    if (scope) scope.notice = false
    return shown
}

/** A plain form's cart change in page `pageId`: the page its redirect loads says what changed. */
export const keepNotice = (p: Person, pageId: string) => {
    const scope = p.scopes.get(pageId)
    if (scope) scope.notice = true
}

/** The count a request reads or writes: its page's, or the default scope's. */
export const counter = (p: Person, pageId: string | undefined) => {
    if (pageId === undefined)
        return {
            get: () => p.defaultCount,
            put: (n: number) => {
                p.defaultCount = n
            }
        }
    const scope = p.scopes.get(pageId)
    if (!scope || scope.epoch !== p.epoch) return undefined
    return {
        get: () => scope.count,
        put: (n: number) => {
            scope.count = n
        }
    }
}

/** A new session: pages of the old one are out of date, and their counts gone. */
const newSession = (p: Person) => {
    p.epoch++
    p.defaultCount = 0
}

export const fullReset = (p: Person) => {
    for (const scope of p.scopes.values()) Object.assign(scope, { count: 0, notice: false })
    p.defaultCount = 0
    p.cart = []
    p.theme = 'system'
    p.username = ''
}

export const signIn = (p: Person, name: string, remember: boolean) => {
    // The form sent twice: nothing changes.
    if (p.username === name) return false
    if (p.username !== '') {
        p.cart = []
        p.theme = 'system'
    }
    newSession(p)
    p.username = name
    p.persistent = remember
    return true
}

export const signOut = (p: Person) => {
    newSession(p)
    p.cart = []
    p.theme = 'system'
    p.username = ''
    p.persistent = true
}
