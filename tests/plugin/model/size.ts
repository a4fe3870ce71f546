/**
 * What `scopedStateSize()` promises (README), asked by a handler after its last change with no
 * other request in between: `ownBytes` over `limit` exactly when the save is refused (413), and
 * `bytes` what the save stores, or, over `limit`, more than that: the save drops other tabs'
 * scopes, least recently written first, until it fits.
 */
import type { ScopedStateSize } from '../../../plugins/scoped-state'
import { count } from './stats'

/** How the answers a request's handler was `told` disagree with its `status` and the `records` its store saved. */
export const sizeProblems = (told: ScopedStateSize[], status: number, records: string[]) => {
    const [size, ...more] = told
    if (!size) return []
    const problems = more.length > 0 ? [`scopedStateSize(): asked ${told.length} times`] : []
    if (size.ownBytes > size.limit !== (status === 413))
        problems.push(
            `scopedStateSize(): ownBytes ${size.ownBytes} of ${size.limit}, and the request answered ${status}`
        )
    const [record] = records
    const saved = record === undefined ? undefined : Buffer.byteLength(record)
    const fits = size.bytes <= size.limit
    if (saved !== undefined && (fits ? saved !== size.bytes : saved < size.ownBytes || saved > size.limit))
        problems.push(`scopedStateSize(): ${JSON.stringify(size)}, and the record saved takes ${saved} bytes`)
    count(
        `event: scopedStateSize() asked, ${status === 413 ? '413' : saved === undefined ? 'nothing saved' : fits ? 'saved' : 'saved, tabs dropped'}`
    )
    return problems
}
