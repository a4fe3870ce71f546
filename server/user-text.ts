/**
 * Text users type, as the app reads it: which characters change the text around them, which
 * show, how a person counts them, and how a refusal repeats what was sent ("There is no product
 * “…”"). Only the sender sees that repeat (the CSRF check refuses other sites' forms), yet a
 * direction mark (U+202E) would show the rest of the message reversed, and a field of 60 KB would
 * fill the page. The view still escapes it, as every user-supplied string.
 */

/**
 * Characters that change the text around them rather than show: controls, line and paragraph
 * separators, direction marks, and halves of a character without their other half (a lone
 * surrogate, which JSON may carry), shown as `�`.
 */
export const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Cs}]/u
const CONTROLS = new RegExp(CONTROL.source, 'gu')

/** A character that shows: not a space, a control character or an invisible one (a zero-width space). */
export const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}]/u

/**
 * Characters as a person counts them (grapheme clusters): a family emoji is one, not seven code
 * points. Cut between code points, it would show a man alone, a flag a letter, and an "e" typed
 * with its accent apart would lose it.
 */
export const characters = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** Characters of a value repeated at most: enough to recognise what was typed. */
const MAX_ECHOED = 40
/** UTF-16 units repeated at most: 40 family emoji (11 each), while one character of stacked accents has no end. */
const MAX_ECHOED_UNITS = MAX_ECHOED * 11

/**
 * `value` to repeat in a message: without controls, cut to 40 characters. `''` when nothing of
 * what it would quote shows, for the message to ask for a value instead of quoting an empty one
 * (or an ellipsis alone, where the cut leaves out what would show).
 * @example echoed('unicorn\u202E') // 'unicorn'
 */
export const echoed = (value: string) => {
    let cut = ''
    let count = 0
    let whole = true
    for (const { segment } of characters.segment(value.replace(CONTROLS, ''))) {
        if (count === MAX_ECHOED || cut.length + segment.length > MAX_ECHOED_UNITS) {
            whole = false
            break
        }
        cut += segment
        count++
    }
    if (!VISIBLE.test(cut)) return ''
    return whole ? cut : `${cut}…`
}
