/** The budget of a session's record, `maxStateBytes`: the UTF-8 bytes of its JSON, all its tabs included. */
import { ScopedStateError } from './errors.js'
import type { StateRecord } from './record.js'

/** What `scopedStateSize()` answers: the state's size if the request were saved now, and the limit. */
export interface ScopedStateSize {
    /** The UTF-8 bytes of the session's state as the save would store it now, every tab's page scope included. */
    bytes: number
    /**
     * Those bytes without the other tabs' page scopes, which the save drops to fit (least recently
     * written first): over `limit`, the request fails with 413 after the handler returns, unless the
     * stored state was over it already and this leaves it no larger.
     */
    ownBytes: number
    /** `maxStateBytes`. */
    limit: number
}

/** `text`'s length in UTF-8, counted only when it may exceed `limit`: a UTF-16 code unit takes at most 3 bytes. */
const utf8Length = (text: string, limit: number) => (text.length * 3 <= limit ? text.length : Buffer.byteLength(text))

/**
 * `json`, the JSON of `record`, or a smaller one within `maxBytes`. Over it, other tabs' page
 * scopes go first, least recently written first: tabs long closed must not keep page `pageKey`
 * from saving. Still over it, the save fails with 413, unless the record is no larger than it
 * was as read (`bytesAsRead`): one already over the limit (lowered since it was saved) may
 * shrink by this request's own changes, and refusing that would keep the larger one and fail
 * every page load that drops the default scope.
 */
export const fitRecord = (
    record: StateRecord,
    json: string,
    pageKey: string,
    maxBytes: number,
    bytesAsRead: () => number
): string => {
    let bytes = utf8Length(json, maxBytes)
    if (bytes <= maxBytes) return json
    const shrinks = bytes <= bytesAsRead()
    for (const page of Object.keys(record.p)) {
        if (page === pageKey || bytes <= maxBytes) break
        delete record.p[page]
        json = JSON.stringify(record)
        bytes = utf8Length(json, maxBytes)
    }
    if (bytes > maxBytes && !shrinks)
        throw new ScopedStateError(
            `Scoped state would take ${bytes} bytes, over the limit of ${maxBytes} (maxStateBytes); it was not saved.`,
            413
        )
    return json
}
