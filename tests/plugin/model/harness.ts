/**
 * Runs a sequence of ops against a fresh app and store, with browsers that keep what they are
 * sent, and compares each response with the model's plan; a difference is a `Mismatch`.
 */
import { afterAll } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PAGE_HEADER, PAGE_PARAM } from '../../../plugins/scoped-state'
import { BASE, NAVIGATE } from '../../helpers/client'
import { BROWSER_ACCEPT, CLIENTS, COOKIE, SECRETS, SIZE_HEADER, type StoreKind, told } from './app'
import { planFaulted, sendWith, type Tap } from './faults'
import { type CookieMeta, Model, type PageMeta } from './model'
import { type Op, type PageRef, type Request_, ROUTES } from './ops'
import { onRedisKinds, onSqliteKinds, openSetup } from './setups'
import { sizeProblems } from './size'
import { count } from './stats'

type Setup = ReturnType<typeof openSetup>

// ---- The harness ----

const hmac = (secret: string, payload: string) =>
    new Bun.CryptoHasher('sha256', secret).update(payload).digest('base64url')

export interface Browser {
    jar: { value: string; expires: number | undefined } | undefined
    /** Every session cookie it was sent, in order. */
    received: string[]
    /** Every page id it was sent, in order. */
    pages: string[]
}

class Mismatch extends Error {}

const scratch = mkdtempSync(join(tmpdir(), 'scoped-state-model-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let files = 0

/**
 * Runs the ops `next` gives, one at a time, on a fresh app and store; returns the ops run, the
 * first mismatch, and the bytes of each record each op saved.
 */
export const run = async (kind: StoreKind, next: (step: number, world: World) => Op | undefined) => {
    const start = Date.UTC(2026, 0, 1) + 500
    const model = new Model(start, kind)
    const path = join(scratch, `state-${++files}.db`)
    const setup = openSetup(
        kind,
        path,
        () => model.t,
        () => model.secrets
    )
    const browsers: Browser[] = Array.from({ length: CLIENTS }, () => ({ jar: undefined, received: [], pages: [] }))
    const world = { model, browsers }
    const ops: Op[] = []
    const saves: number[][] = []
    try {
        for (let step = 0; ; step++) {
            const op = next(step, world)
            if (!op) break
            ops.push(op)
            saves.push((await apply(op, world, setup)) ?? [])
        }
        return { ops, error: undefined, saves }
    } catch (error) {
        if (error instanceof Mismatch) return { ops, error, saves }
        throw error
    } finally {
        await setup.close()
        rmSync(path, { force: true })
        rmSync(`${path}-wal`, { force: true })
        rmSync(`${path}-shm`, { force: true })
        // Requests through `app.handle` alone never give the event loop a turn, which on the locking
        // path (`serialized`, `asynchronous`) Elysia's after-response work waits for, holding each
        // run's apps till then: 5 MB a sequence, gigabytes over `MODEL_SEEDS=2500`, each seed slower.
        await new Promise((resolve) => setImmediate(resolve))
    }
}
export type World = { model: Model; browsers: Browser[] }

const pageOf = (ref: PageRef | undefined, browsers: Browser[]) => {
    if (!ref) return undefined
    if ('forged' in ref) return ref.forged
    const pages = browsers[ref.owner]?.pages ?? []
    return pages.length === 0 ? undefined : pages[ref.nth % pages.length]
}

/** Takes step `op`; a request answers the bytes of each record it saved. */
const apply = async (op: Op, { model, browsers }: World, setup: Setup) => {
    switch (op.t) {
        case 'advance':
            model.t += op.ms
            return
        case 'rotate':
            if (op.how === 'add')
                model.secrets = [SECRETS[model.nextSecret++ % SECRETS.length] as string, ...model.secrets].slice(0, 3)
            if (op.how === 'drop') model.secrets = model.secrets.slice(0, 1)
            // Ended ids are known by the instances sharing a store object: the SQLite file or the
            // Redis stores opened again, as after a restart, know of none (the store keeps its marks).
            if (onSqliteKinds(model.kind) || onRedisKinds(model.kind)) model.forgetEnded()
            await setup.restart()
            return
        case 'close': {
            const browser = browsers[op.c] as Browser
            if (browser.jar?.expires === undefined) browser.jar = undefined
            return
        }
        case 'replay': {
            const pool = (browsers[op.from] as Browser).received
            if (pool.length > 0)
                (browsers[op.c] as Browser).jar = { value: pool[op.nth % pool.length] as string, expires: undefined }
            return
        }
        case 'forge': {
            const browser = browsers[op.c] as Browser
            const last =
                browser.received.at(-1) ?? 'AAAAAAAAAAAAAAAAAAAAAAAA.1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
            const parts = last.split('.')
            const value = (() => {
                switch (op.how) {
                    case 'junk':
                        return 'not-a-session'
                    case 'proto':
                        return '__proto__'
                    case 'long':
                        return 'x'.repeat(10_000)
                    case 'tamper': {
                        const signature = parts.at(-1) as string
                        return [...parts.slice(0, -1), (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)].join(
                            '.'
                        )
                    }
                    case 'extend':
                        // A later issue time, to live longer: the signature no longer matches.
                        return [
                            parts[0],
                            parts[1],
                            (Number.parseInt(parts[2] as string, 36) + 500).toString(36),
                            ...parts.slice(3)
                        ].join('.')
                    case 'unsigned': {
                        const payload = `${'Z'.repeat(24)}.${model.at.toString(36)}.${model.at.toString(36)}`
                        return `${payload}.${hmac('a-secret-the-server-never-had-of-32-bytes', payload)}`
                    }
                }
            })()
            browser.jar = { value, expires: undefined }
            return
        }
        case 'req': {
            const { app, tap } = setup.at(op.elsewhere ? 1 : 0)
            model.instance = op.elsewhere ? 1 : 0
            await setup.ageMarks(model.markAges())
            return request(op, model, browsers, (r) => app.handle(r), tap)
        }
    }
}

const STALE_START = 'This page is out of date'
const COOKIE_MISSING = 'did not come with the request'
const ENDED = 'This session has ended'

const UNAVAILABLE = 'Session store unavailable, please retry in a moment.'
const UNANSWERED = 'The session store did not answer in time'

const request = async (
    op: Request_,
    model: Model,
    browsers: Browser[],
    handle: (r: Request) => Promise<Response>,
    tap: Tap
) => {
    const browser = browsers[op.c] as Browser
    // A browser no longer sends a cookie past its Max-Age.
    if (browser.jar?.expires !== undefined && model.t >= browser.jar.expires) browser.jar = undefined
    const sent = [...(op.junkFirst ? ['junk'] : []), ...(browser.jar ? [browser.jar.value] : [])]
    const named = pageOf(op.page, browsers)
    const route = ROUTES[op.route]
    const headers = new Headers()
    if (sent.length > 0) headers.set('cookie', sent.map((value) => `${COOKIE}=${value}`).join('; '))
    if (op.https) headers.set('x-forwarded-proto', 'https')
    if (op.sized) headers.set(SIZE_HEADER, '1')
    let path = route.path(op.arg)
    if (op.route === 'page') for (const [name, value] of Object.entries(NAVIGATE)) headers.set(name, value)
    else if (op.route === 'restore') {
        // htmx 4's history restore: its own header, the old page's id, no HX-Request nor HTML Accept.
        headers.set('hx-history-restore-request', 'true')
        headers.set('accept', '*/*')
    } else if (op.via === 'header') {
        headers.set('hx-request', 'true')
        headers.set('accept', 'text/html')
    } else if (op.via === 'query') headers.set('accept', BROWSER_ACCEPT)
    if (named !== undefined && (op.via === 'header' || op.route === 'restore')) headers.set(PAGE_HEADER, named)
    if (named !== undefined && op.via === 'query')
        path += `${path.includes('?') ? '&' : '?'}${PAGE_PARAM}=${encodeURIComponent(named)}`
    // The page ids the model sees as named are those the request carries.
    const carried = named !== undefined && (op.via !== undefined || op.route === 'restore') ? named : undefined

    const prefix = op.second ? '/b' : '/a'
    const send = () => handle(new Request(BASE + prefix + path, { method: route.method, headers }))
    told.length = 0
    const { response, tapped, warned } = await sendWith(tap, op.fault, send)
    // Planned once the request ran: the model learns from the store which call failed, and whether it ran.
    const { plan, problems } = (() => {
        try {
            return planFaulted(model, tapped, (loaded) => model.plan(op, sent, carried, loaded))
        } catch (error) {
            // The model's own checks: reported, with the seed, and shortened, as a mismatch is.
            throw new Mismatch(`client ${op.c} ${JSON.stringify(op)}: ${(error as Error).message}`)
        }
    })()
    const text = await response.text()
    const check = (what: string, actual: unknown, expected: unknown) => {
        if (!Bun.deepEquals(actual, expected))
            problems.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)
    }
    check('status', response.status, plan.status)
    check('retry-after', response.headers.get('retry-after'), plan.body.kind === 'unavailable' ? '1' : null)
    check('warned', warned, plan.warns === true)

    problems.push(...sizeProblems(told.splice(0), response.status, tapped.records))

    // The cookie.
    const line = response.headers.get('set-cookie')
    let cookieId: string | undefined
    let cookieValue: string | undefined
    let cookieMeta: CookieMeta | undefined
    if (plan.cookie.kind === 'none') check('set-cookie', line, null)
    else if (line === null) problems.push(`set-cookie: none, expected ${JSON.stringify(plan.cookie)}`)
    else {
        const [pair, ...attributes] = line.split('; ')
        const value = (pair as string).slice(COOKIE.length + 1)
        check('cookie name', (pair as string).slice(0, COOKIE.length + 1), `${COOKIE}=`)
        const maxAge = attributes.find((attribute) => attribute.startsWith('Max-Age='))
        const rest = attributes.filter((attribute) => !attribute.startsWith('Max-Age='))
        check('cookie attributes', rest, [
            'Path=/',
            'HttpOnly',
            ...(plan.cookie.secure ? ['Secure'] : []),
            'SameSite=Lax'
        ])
        if (plan.cookie.kind === 'clear') {
            check('cleared cookie', [value, maxAge], ['', 'Max-Age=0'])
        } else {
            const expected = plan.cookie
            check('Max-Age', maxAge, expected.maxAge === undefined ? undefined : `Max-Age=${expected.maxAge}`)
            const parts = value.split('.')
            const payload = parts.slice(0, -1).join('.')
            check('cookie signature (first secret)', parts.at(-1), hmac(model.secrets[0] as string, payload))
            const [id, created, issued, ...flags] = parts.slice(0, -1)
            const earlier = flags[0]?.startsWith('l') ? Number.parseInt(flags[0].slice(1), 36) : undefined
            cookieId = id
            cookieValue = value
            const createdAt = Number.parseInt(created ?? '', 36)
            if (expected.id === undefined) {
                if ([...model.cookies.values()].some((meta) => meta.id === id))
                    problems.push(`cookie id ${id}: not new`)
            } else check('cookie id', id, expected.id)
            check(
                'cookie times',
                [createdAt, Number.parseInt(issued ?? '', 36)],
                [expected.created === 'now' ? model.at : expected.created, expected.issued]
            )
            check('cookie .l (latest earlier issue)', earlier, expected.latestIssued)
            check('cookie .b (ends with the browser)', flags.at(-1) === 'b', !expected.persistent)
            cookieMeta = {
                id: id as string,
                created: createdAt,
                issued: expected.issued,
                latestIssued: expected.latestIssued,
                persistent: expected.persistent,
                secret: model.secrets[0] as string
            }
        }
    }
    check(
        'cache-control no-store',
        plan.noStore === undefined ? undefined : response.headers.get('cache-control') === 'no-store',
        plan.noStore
    )

    // The body.
    const session = plan.session ?? cookieId
    let freshPage: PageMeta | undefined
    switch (plan.body.kind) {
        case 'text':
            check('body', text, plan.body.text)
            break
        case 'stale':
            check(
                'body (stale page)',
                [text.startsWith(STALE_START), text.includes(COOKIE_MISSING)],
                [true, plan.body.cookieMissing]
            )
            break
        case 'ended':
            check('body (ended)', text.startsWith(ENDED), true)
            break
        case 'tooLarge':
            check('body (413)', text.includes('maxStateBytes'), true)
            break
        case 'unavailable':
            check('body (503)', text, UNAVAILABLE)
            break
        case 'unanswered':
            check('body (503, unanswered)', text.startsWith(UNANSWERED), true)
            break
        case 'view': {
            let actual: Record<string, unknown> = {}
            try {
                actual = JSON.parse(text)
            } catch {
                problems.push(`body: not JSON: ${text.slice(0, 200)}`)
            }
            const { kind: _, fresh, ...expected } = plan.body
            if (fresh) {
                const page = String(actual.page)
                const [nonce, signature] = page.split('.')
                if (session === undefined) problems.push('a fresh page with no session id known')
                else
                    check(
                        'fresh page id signature',
                        signature,
                        hmac(model.secrets[0] as string, `page.${session}.${nonce}`)
                    )
                if (model.pages.has(page)) problems.push(`page id ${page}: not new`)
                freshPage = { session: session as string, key: nonce as string, secret: model.secrets[0] as string }
                expected.page = page
            }
            check('body', actual, expected)
            break
        }
    }
    if (problems.length > 0)
        throw new Mismatch(
            `client ${op.c} ${JSON.stringify(op)}:\n  ${problems.join('\n  ')}\n  body: ${text.slice(0, 300)}`
        )

    // Matched: the model takes the step, the browser keeps what it was sent.
    plan.apply(cookieId)
    if (plan.body.kind === 'view' && (plan.body.count > 0 || plan.body.tags.length > 0))
        count('event: view with values')
    if (plan.body.kind === 'view' && plan.body.page !== '' && plan.body.count > 0) count('event: page view with values')
    if (plan.body.kind === 'stale' && plan.body.cookieMissing) count('event: stale, cookie missing')
    const { fired } = tapped
    if (fired) count(`fault: ${fired.call}#${fired.nth} ${fired.how} on ${op.route} -> ${plan.status}`)
    const tag = `${op.route} ${plan.status} ${plan.body.kind}${plan.body.kind === 'view' && plan.body.fresh ? ' fresh' : ''} cookie:${plan.cookie.kind}${plan.cookie.kind === 'set' && plan.cookie.id === undefined ? ' new' : ''}${plan.noStore ? ' no-store' : ''}`
    count(tag)
    if (cookieMeta && cookieValue !== undefined) {
        model.cookies.set(cookieValue, cookieMeta)
        browser.received.push(cookieValue)
        browser.jar = {
            value: cookieValue,
            expires:
                plan.cookie.kind === 'set' && plan.cookie.maxAge !== undefined
                    ? model.t + plan.cookie.maxAge * 1000
                    : undefined
        }
    }
    if (plan.cookie.kind === 'clear') browser.jar = undefined
    if (freshPage && plan.body.kind === 'view') {
        const page = JSON.parse(text).page as string
        model.pages.set(page, freshPage)
        browser.pages.push(page)
    }
    return tapped.records.map((record) => Buffer.byteLength(record))
}
