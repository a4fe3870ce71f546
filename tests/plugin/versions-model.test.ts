/**
 * A model test of setup versions across deploys: seeded sequences in which three clients use
 * an app whose setup goes through versions 1 → 2 → 3 (versions-model/apps.ts: keys renamed,
 * a type changed twice, a key removed, preserved keys added, a migrate that throws on some
 * saved names, one that fills state past `maxStateBytes`). Deploy steps swap the app to
 * another version, or to two at once (a rolling deploy: requests alternate between them), on
 * the same store: the memory store object kept, or the SQLite file reopened. The model
 * (versions-model/model.ts) predicts each answer: migrated values and defaults, 503 for a
 * record saved by a newer version, 500 where migrate throws, 413 past the limit, and what
 * "start over", logins and logouts do there. After every request the stored record is checked
 * too: left as it was when the model says nothing is saved (every error), else saved under
 * the serving version; and no two clients share a session.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore, PAGE_HEADER, type Store, sqliteStore } from '../../plugins/scoped-state'
import { BASE, HTMX, NAVIGATE, sessionIdOf } from '../helpers/client'
import { appAt, NAMES, TAGS, type Version } from './versions-model/apps'
import { DEFAULT_PAGE, Model, type Op, type Outcome } from './versions-model/model'

const scratch = mkdtempSync(join(tmpdir(), 'versions-model-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

type Kind = 'memory' | 'serialized' | 'sqlite'
const CLIENTS = 3
const STEPS = 60
/** What a deploy step may serve: one version, or two at once during a rolling deploy. */
const SERVING: Version[][] = [[1], [2], [3], [1, 2], [2, 3], [1, 3]]
const seen = new Map<string, number>()
const note = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1)

/** mulberry32: a small seeded generator. */
const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}

const WEIGHTS: [Op['kind'], number][] = [
    ['state', 4],
    ['inc', 4],
    ['tag', 2],
    ['name', 3],
    ['page', 2],
    ['legacy', 1],
    ['clear', 1],
    ['start-over', 1],
    ['logout', 1],
    ['login', 1]
]
const TOTAL = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0)

const pickOp = (rand: () => number): Op => {
    let roll = rand() * TOTAL
    let kind: Op['kind'] = 'state'
    for (const [candidate, weight] of WEIGHTS) {
        kind = candidate
        roll -= weight
        if (roll < 0) break
    }
    if (kind === 'tag') return { kind, arg: TAGS[Math.floor(rand() * TAGS.length)] as string }
    if (kind === 'name') return { kind, arg: NAMES[Math.floor(rand() * NAMES.length)] as string }
    return { kind } as Op
}

const PATHS: Record<Op['kind'], string> = {
    state: '/state',
    inc: '/inc',
    tag: '/tag/',
    name: '/name/',
    legacy: '/legacy',
    clear: '/clear',
    page: '/page',
    'start-over': '/start-over',
    logout: '/logout',
    login: '/login'
}

/** The deployed instances: apps at their versions, each over its own store object on the same state. */
const deployment = (kind: Kind, path: string) => {
    const memory = kind === 'sqlite' ? undefined : memoryStore()
    let stores: Store[] = []
    let apps: { version: Version; app: ReturnType<typeof appAt> }[] = []
    let turn = 0
    const close = () => {
        if (!memory) for (const store of stores) store.close?.()
    }
    return {
        deploy(versions: Version[]) {
            close()
            // SQLite: each instance opens the file anew, as a restarted process does.
            stores = versions.map(() => memory ?? sqliteStore({ path }))
            apps = versions.map((version, i) => ({
                version,
                app: appAt(version, stores[i] as Store, kind === 'serialized')
            }))
        },
        /** The next instance, in turn. */
        next: () => apps[turn++ % apps.length] as (typeof apps)[number],
        /** The record of `id`, or `undefined`: none, or ended (SQLite's mark). */
        load: (id: string) => {
            const answer = (stores[0] as Store).load(id, 60_000)
            return typeof answer === 'string' ? answer : undefined
        },
        close() {
            close()
            memory?.close?.()
        }
    }
}

const run = async (kind: Kind, seed: number) => {
    const rand = random(seed)
    const path = join(scratch, `${kind}-${seed}.db`)
    const world = deployment(kind, path)
    const model = new Model(CLIENTS)
    const jars: string[] = Array.from({ length: CLIENTS }, () => '')
    const log: string[] = []
    let serving: Version[] = [1]
    world.deploy(serving)
    const fail = (why: string) => {
        throw new Error(`${kind} seed ${seed}: ${why}\n${log.slice(-20).join('\n')}`)
    }
    try {
        for (let step = 0; step < STEPS; step++) {
            if (step > 8 && rand() < 0.12) {
                const next = SERVING[Math.floor(rand() * SERVING.length)] as Version[]
                if (Math.max(...next) < Math.max(...serving)) note('rollback')
                serving = next
                world.deploy(serving)
                log.push(`deploy ${serving.join('+')}`)
                continue
            }
            const i = Math.floor(rand() * CLIENTS)
            const op = pickOp(rand)
            const { version, app } = world.next()
            const client = model.clients[i] as (typeof model.clients)[number]
            const headers: Record<string, string> = {}
            if (jars[i]) headers.cookie = jars[i] as string
            if (op.kind === 'page') Object.assign(headers, NAVIGATE)
            else if (client.page !== DEFAULT_PAGE) Object.assign(headers, HTMX, { [PAGE_HEADER]: client.page })
            const id = sessionIdOf(jars[i])
            const before = jars[i] ? world.load(id) : undefined
            const method = op.kind === 'state' || op.kind === 'page' ? 'GET' : 'POST'
            const url = BASE + PATHS[op.kind] + ('arg' in op ? op.arg : '')
            const expected: Outcome = model.apply(i, op, version)
            log.push(`client ${i} ${method} ${url.slice(BASE.length)} at v${version} (page ${client.page.slice(0, 8)})`)
            const response = await app.handle(new Request(url, { method, headers }))
            const text = await response.text()
            const set = response.headers.get('set-cookie')
            if (set) jars[i] = /Max-Age=0(;|$)/.test(set) ? '' : (set.split(';')[0] as string)
            note(`status ${response.status}`)
            if (response.status !== expected.status)
                fail(`expected ${expected.status} ${JSON.stringify(expected.body)}, got ${response.status} ${text}`)
            if (expected.status !== 200) {
                if (!text.startsWith(expected.body as string)) fail(`expected ${expected.body}…, got ${text}`)
            } else if (op.kind === 'page') {
                if (!text) fail('the page load carried no page id')
                client.page = text
            } else {
                const got = typeof expected.body === 'string' ? text : JSON.parse(text)
                if (JSON.stringify(got) !== JSON.stringify(expected.body))
                    fail(`expected ${JSON.stringify(expected.body)}, got ${text}`)
            }
            // The store: untouched unless the model saves; saved under the serving version.
            if (jars[i] === '' && op.kind !== 'logout') fail('the client has no session cookie')
            if (op.kind === 'logout') {
                if (before !== undefined && world.load(id) !== undefined) fail('the logout left the record')
            } else if (op.kind !== 'login' || expected.status !== 200) {
                const after = world.load(sessionIdOf(jars[i]))
                if (expected.saves === false && jars[i] && after !== before)
                    fail(`the record changed: ${before} → ${after}`)
                if (expected.saves && after === before) fail('the record was not saved')
                if (expected.saves !== false && after !== before) {
                    const v = JSON.parse(after as string).v ?? 1
                    if (v !== version) fail(`saved under version ${v}, served by ${version}`)
                    note(`saved by v${version}${(after as string).length > 1024 ? ', over the limit' : ''}`)
                }
            }
            const ids = jars.filter(Boolean).map(sessionIdOf)
            if (new Set(ids).size !== ids.length) fail('two clients share a session')
        }
    } finally {
        world.close()
        for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
    }
}

const SEEDS = Array.from({ length: 12 }, (_, i) => 7_919 * (i + 1))

for (const kind of ['memory', 'serialized', 'sqlite'] as const)
    test(`versions across deploys, rolling deploys and rollbacks (${kind})`, async () => {
        for (const seed of kind === 'memory' ? SEEDS : SEEDS.slice(0, 6)) await run(kind, seed)
    })

test('the sequences reach every outcome the model predicts', () => {
    for (const what of ['status 413', 'status 500', 'status 503', 'rollback', 'saved by v3, over the limit'])
        expect([what, seen.get(what) ?? 0]).not.toEqual([what, 0])
})
