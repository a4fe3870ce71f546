/**
 * What a user sent, repeated in the message that refuses it ("There is no product “…”"). Only the
 * sender sees it (the CSRF check refuses other sites' forms), yet a direction mark (U+202E) would
 * show the rest of the message reversed, and a field of 60 KB would fill the page. The view still
 * escapes it, as every user-supplied string.
 */

/**
 * Characters that change the text around them rather than show: controls, line and paragraph
 * separators, and direction marks.
 */
export const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u
const CONTROLS = new RegExp(CONTROL.source, 'gu')

/** Characters of a value repeated at most: enough to recognise what was typed. */
const MAX_ECHOED = 40

/**
 * `value` to repeat in a message: without controls, cut to 40 characters.
 * @example echoed('unicorn\u202E') // 'unicorn'
 */
export const echoed = (value: string) => {
    const characters = [...value.replace(CONTROLS, '')]
    return characters.length > MAX_ECHOED ? `${characters.slice(0, MAX_ECHOED).join('')}…` : characters.join('')
}
