/**
 * Seeded randomness for the model-based test of the demo app, and the inputs it draws from:
 * mostly what the app's own forms send, mixed with what a hostile or careless client sends
 * (huge, negative, fractional and non-numeric quantities, unknown and markup-laden product
 * ids, unicode and control characters in names, repeated and missing fields, JSON values of
 * every type). A field's value is what the server parses: a string, a list of strings (a
 * repeated form field), any JSON value, or `undefined` (left out).
 */
import { PRODUCTS } from '../../../server/catalog'

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export const random = (seed: number) => {
    let state = seed >>> 0
    const next = () => {
        state = (state + 0x6d2b79f5) >>> 0
        let t = state
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const int = (below: number) => Math.floor(next() * below)
    const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
    const chance = (p: number) => next() < p
    return { next, int, pick, chance }
}

export type Random = ReturnType<typeof random>

/** Strings that must come back escaped wherever the app shows them. */
export const MARKUP = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "it's & <b>bold</b>"]

const PRODUCT_IDS = PRODUCTS.map((product) => product.id)
const ODD_PRODUCT_IDS = [
    '',
    'MUG',
    ' mug',
    'mug ',
    'mugs',
    'tõte',
    '🍵',
    '../pen',
    'constructor',
    '__proto__',
    'x'.repeat(300),
    ...MARKUP
]

/** A product id: usually one of the catalogue's. */
export const productId = (r: Random) => (r.chance(0.75) ? r.pick(PRODUCT_IDS) : r.pick(ODD_PRODUCT_IDS))

/** Quantities as a form sends them: in range, at the edges, and past them. */
const FORM_QUANTITIES = [
    '1',
    '2',
    '3',
    '5',
    '40',
    '98',
    '99',
    ' 7 ',
    '07',
    '0005',
    '0',
    '100',
    '-1',
    '1.5',
    '2.0',
    '1e1',
    '+3',
    '0x10',
    'abc',
    '٣',
    '',
    '   ',
    '9'.repeat(30),
    ...MARKUP
]
const JSON_QUANTITIES = [2, 99, 100, 0, -3, 2.5, 1e1, 1e21, 4.0, true, false, null, '12', [3], {}]

/** A quantity field as a form (or a repeated form field) or a JSON body carries it. */
export const quantity = (r: Random, json: boolean): unknown => {
    if (r.chance(0.08)) return undefined
    if (!json && r.chance(0.05)) return ['2', '3']
    if (json && r.chance(0.4)) return r.pick(JSON_QUANTITIES)
    return r.chance(0.6) ? r.pick(['1', '2', '3', '4', '10', '50', '99']) : r.pick(FORM_QUANTITIES)
}

const ODD_THEMES = ['', 'Dark', 'blue', ' dark', 'light ', ...MARKUP]
const JSON_THEMES = [1, null, true, ['dark'], { theme: 'dark' }]

export const theme = (r: Random, json: boolean): unknown => {
    if (r.chance(0.05)) return undefined
    if (json && r.chance(0.2)) return r.pick(JSON_THEMES)
    if (!json && r.chance(0.04)) return ['dark', 'light']
    return r.chance(0.7) ? r.pick(['light', 'dark', 'system']) : r.pick(ODD_THEMES)
}

const NAMES = ['Ada', 'Grace', 'Linus', ' Ada ', 'Zoë', 'Zoe\u0308', 'محمد', '李小龙', '🦄 Uni']
const ODD_NAMES = [
    '',
    '   ',
    '\u200b',
    'Ada\tLovelace',
    'Ada\nLovelace',
    'evil\u202Etxt.exe',
    'a\u2028b',
    'x'.repeat(40),
    'x'.repeat(41),
    '🦄'.repeat(40),
    '🦄'.repeat(41),
    // Forty characters once trimmed, over 240 UTF-16 units with the spaces around them.
    `${' '.repeat(100)}${'x'.repeat(40)}${' '.repeat(101)}`,
    'x'.repeat(241),
    '\ud800',
    ...MARKUP
]

export const name = (r: Random, json: boolean): unknown => {
    if (r.chance(0.05)) return undefined
    if (json && r.chance(0.15)) return r.pick([42, null, ['Ada'], { first: 'Ada' }])
    if (!json && r.chance(0.03)) return ['Ada', 'Grace']
    return r.chance(0.6) ? r.pick(NAMES) : r.pick(ODD_NAMES)
}

/** The "Keep me signed in" box: ticked sends `on`; anything else is not ticked. */
export const remember = (r: Random, json: boolean): unknown =>
    r.chance(0.45) ? 'on' : r.chance(0.7) ? undefined : json ? r.pick([true, 'yes', 1]) : r.pick(['off', 'ON'])
