/**
 * Runs seeded rounds against one or two app instances and records the history: for each
 * request, when it began and ended (on one logical clock), its status, what its handler saw,
 * the cookie it set and the page id it named. Each round sends every client's ops at once; then
 * each client reads its whole state (a pin per page scope it has), which begins a session for a
 * client that has none. A page that a history restore replaced stays among the client's pages, so
 * that the pins read its scope, which the restore dropped. After each round, every id the app
 * ended is looked up in the stores: none may hold a record under it.
 */
import { PAGE_HEADER } from '../../../plugins/scoped-state'
import { BASE, NAVIGATE, sessionIdOf } from '../../helpers/client'
import { generator, type Op, pinOp } from './generate'
import { type End, hasPause, type Recorder } from './program'

/** What htmx 4.0.1 sends on Back or Forward to an entry it pushed, besides the page's `X-Page-Id`. */
const HISTORY_RESTORE = { accept: '*/*', 'hx-history-restore-request': 'true', 'sec-fetch-mode': 'cors' }

export interface Handler {
    handle(request: Request): Promise<Response>
}

export interface Call {
    op: Op
    /** Session id of the cookie sent; `''` for none. */
    sent: string
    /** Page id sent (`''`: none, the session's default page scope); a page load's new one once answered. */
    page: string
    /** The page a history restore names, whose scope it drops (`''`: none). */
    replaced: string
    start: number
    /** When its handler first touched the state (or ran its first step): it read no earlier. */
    touched: number | undefined
    /** When its handler returned: it committed later. */
    handled: number | undefined
    /** The ids `scopedSessionId()` answered it, in order. */
    recorded: string[]
    end: number
    status: number
    /** What the handler saw (also for a request refused after its handler ran); `undefined` if it never ran. */
    saw: unknown[] | undefined
    body: string
    /** `Set-Cookie`: `undefined` for none, `''` for one that clears the cookie, else the new session id. */
    cookie: string | undefined
    /** The `name=value` pair it sets, which the client sends from then on. */
    pair: string | undefined
}

export interface History {
    /** Each client's calls, round by round (a round of ops, then a pin, and so on). */
    calls: Call[][][]
    /** The ends the app made in each round (by the same index). */
    ends: End[][]
    /** Ended ids that a store held a record of after a round, with the round. */
    revived: string[]
}

/** Runs `rounds` rounds of `clients` clients against the instances `apps` makes (whose handlers record into `recorder`). */
export const historyOf = async (
    apps: Handler[],
    recorder: Recorder,
    { seed, rounds, clients }: { seed: number; rounds: number; clients: number },
    /** Whether a store holds a record of `id`. */
    holds: (id: string) => Promise<boolean>
) => {
    const next = generator(seed, apps.length)
    const cookies: string[] = Array(clients).fill('')
    /** Each client's page ids, newest last: its open tabs (two at most); dropped with its session. */
    const pages: string[][] = Array.from({ length: clients }, () => [])
    const pageOf = (op: Op) => {
        const mine = pages[op.client] ?? []
        return (op.tab > 0 && mine[mine.length - op.tab]) || ''
    }
    const history: History = { calls: Array.from({ length: clients }, () => []), ends: [], revived: [] }
    let pins = 0

    const send = async (op: Op): Promise<Call> => {
        const headers = new Headers({ 'x-steps': JSON.stringify(op.steps), 'x-op': op.id })
        if (op.navigate)
            for (const [name, value] of Object.entries(op.restore ? HISTORY_RESTORE : NAVIGATE))
                headers.set(name, value)
        const cookie = op.firstVisit ? '' : (cookies[op.client] ?? '')
        if (cookie) headers.set('cookie', cookie)
        const page = pageOf(op)
        if (page) headers.set(PAGE_HEADER, page)
        const app = apps[op.instance] as Handler
        const start = recorder.tick()
        const response = await app.handle(new Request(`${BASE}/${hasPause(op.steps) ? 'later' : 'now'}`, { headers }))
        const end = recorder.tick()
        const set = response.headers.get('set-cookie') ?? undefined
        const pair = set?.split(';')[0]
        const cleared = set !== undefined && /Max-Age=0(;|$)/.test(set)
        return {
            op,
            sent: cookie ? sessionIdOf(cookie) : '',
            page: op.navigate ? (recorder.pages.get(op.id) ?? '') : page,
            replaced: op.restore ? page : '',
            start,
            touched: recorder.touched.get(op.id),
            handled: recorder.handled.get(op.id),
            recorded: recorder.recorded.get(op.id) ?? [],
            end,
            status: response.status,
            saw: recorder.saw.get(op.id),
            body: await response.text(),
            cookie: pair === undefined ? undefined : cleared ? '' : sessionIdOf(pair),
            pair: cleared ? '' : pair
        }
    }

    /** Sends each client's ops at once, all clients together; keeps the cookie and page ids responses give. */
    const round = async (ops: Op[][]) => {
        const endsBefore = recorder.ends.length
        const calls = await Promise.all(ops.map((mine) => Promise.all(mine.map(send))))
        history.ends.push(recorder.ends.slice(endsBefore))
        for (const { id } of recorder.ends)
            if (await holds(id)) history.revived.push(`${id} after round ${history.ends.length - 1}`)
        for (const [client, mine] of calls.entries()) {
            history.calls[client]?.push(mine)
            const loaded = mine.filter((call) => call.op.navigate && call.status === 200).map((call) => call.page)
            pages[client] = [...(pages[client] ?? []), ...loaded].slice(-2)
            // A new session (a login, a logout): the pages of the one before no longer verify.
            for (const call of mine)
                if (call.pair !== undefined && !call.op.firstVisit) {
                    cookies[client] = call.pair
                    pages[client] = []
                }
        }
    }

    /** Each client reads all its state: its default page scope, and that of each of its tabs. */
    const pin = () => {
        pins++
        return round(
            Array.from({ length: clients }, (_, client) =>
                Array.from({ length: 1 + (pages[client]?.length ?? 0) }, (_, tab) =>
                    pinOp(client, pins, (pins + client + tab) % apps.length, tab)
                )
            )
        )
    }
    await pin()
    for (let n = 0; n < rounds; n++) {
        await round(next(clients))
        await pin()
    }
    return history
}
