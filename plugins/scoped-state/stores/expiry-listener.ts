/**
 * The `onExpire` option the built-in stores share: the app hears of each session a store dropped
 * on its own, so that what it keeps for that session outside its state can go too.
 */

/** Why a store dropped a session on its own: its TTL passed, or (memory store) it made room. */
export type ExpiryReason = 'expired' | 'evicted'

/**
 * Called after the store deleted the record of session `id` on its own: not for the deletes the
 * plugin asks for (a login, a logout, `endScopedSession`), which the app made. Only the id: the
 * record is gone (in Redis, before the store learns of it).
 */
export type OnExpire = (id: string, reason: ExpiryReason) => void

/**
 * `listener` as the store calls it: a throw, or a promise it returns that rejects, is logged
 * once and never reaches the store, whose sweep or request would otherwise fail with it.
 * `undefined` without a listener, so that a store does none of the work a report needs.
 */
export const expiryListener = (store: string, listener: OnExpire | undefined): OnExpire | undefined => {
    if (!listener) return undefined
    let reported = false
    const report = (error: unknown) => {
        if (reported) return
        reported = true
        console.error(
            `scopedState: ${store}'s onExpire failed (${(error as Error)?.message ?? String(error)}); the store goes on, ` +
                'and what it held for that session stays until something else frees it. (Reported once.)'
        )
    }
    return (id, reason) => {
        try {
            // An async listener: its rejection would otherwise be unhandled, which ends the process.
            const result: unknown = listener(id, reason)
            if (result instanceof Promise) result.catch(report)
        } catch (error) {
            report(error)
        }
    }
}
