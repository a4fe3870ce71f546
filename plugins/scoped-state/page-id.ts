/**
 * Page ids name a browser tab's page scope: `<nonce>.<signature>`, the signature
 * binding the nonce to its session. A forged id, or one from another session,
 * fails verification, and its page values are refused (`StalePageError`).
 * Because the signature proves the id is ours, a new page scope costs no storage
 * until one of its keys is set to other than its default.
 */
import { randomToken, type Signer } from './signer.js'

/** The key of the page scope used by requests that carry no page id. */
export const DEFAULT_PAGE = '_'

/**
 * The key of a request naming a page of another session (ended, or forged): never stored,
 * since its values are refused (`StalePageError`).
 */
export const STALE_PAGE = ''

const SHAPE = /^[\w-]{12}\.[\w-]{43}$/

const payload = (sessionId: string, nonce: string) => `page.${sessionId}.${nonce}`

export const newPageId = (sessionId: string, signer: Signer) => {
    const nonce = randomToken(9)
    return { key: nonce, id: `${nonce}.${signer.sign(payload(sessionId, nonce))}` }
}

/** The page scope's key when `pageId` was issued for `sessionId`, else `undefined`. */
export const verifyPageId = (pageId: string, sessionId: string, signer: Signer) => {
    if (!SHAPE.test(pageId)) return undefined
    const [nonce, signature] = pageId.split('.') as [string, string]
    return signer.verify(payload(sessionId, nonce), signature) ? nonce : undefined
}
