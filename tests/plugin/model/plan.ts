/** What the model expects of one request: its answer (status, body, cookie, caching) and its effects. */
export type CookieExpect =
    | { kind: 'none' }
    | { kind: 'clear'; secure: boolean }
    | {
          kind: 'set'
          /** `undefined`: a new id. */
          id: string | undefined
          created: number | 'now'
          issued: number
          /** The latest issue time of the session's earlier cookies, when later than `issued` (a clock set back). */
          latestIssued: number | undefined
          persistent: boolean
          maxAge: number | undefined
          secure: boolean
      }

export type BodyExpect =
    | { kind: 'text'; text: string }
    | { kind: 'view'; fresh: boolean; page: string; count: number; tags: string[]; note: number; theme: string }
    | { kind: 'stale'; cookieMissing: boolean }
    | { kind: 'ended' }
    | { kind: 'tooLarge' }
    /** 503 with `Retry-After`: the store is down. */
    | { kind: 'unavailable' }
    /** 503 without: a write got no answer, and may have run. */
    | { kind: 'unanswered' }

export interface Plan {
    status: number
    body: BodyExpect
    cookie: CookieExpect
    /** Whether the response is `Cache-Control: no-store` (a page scope's, or one carrying the cookie); `undefined`: not checked. */
    noStore: boolean | undefined
    /** The session id the request ran in; `undefined` for a new visitor's, learnt from its cookie. */
    session: string | undefined
    /** Applies the request's effect; `cookieId` is the id of the cookie the response set, if any. */
    apply: (cookieId: string | undefined) => void
    /** What it saves, under the session's id (a new visitor's or a login's `cookieId`). */
    write?: ((cookieId: string | undefined) => void) | undefined
    /** The session id it deletes and ends (a login's or logout's, one a cookie brought). */
    ends?: string | undefined
    /** How long (ms) the store's mark of that end lasts: as long as a cookie of it may be taken, as far as the plugin knows. */
    markTtl?: number | undefined
    /** A logout (`destroyScopedSession()`): its delete failing fails it. */
    logout?: boolean
    /** A warning is logged (a login whose delete of the old session failed). */
    warns?: boolean
}
export type Effects = Pick<Plan, 'write' | 'ends' | 'logout'>
