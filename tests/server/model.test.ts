/**
 * A model-based test of the demo app: seeded random sequences of what htmx pages, pages
 * without JavaScript and scripts send (hostile input included), run against the real app and
 * against a reference model of what README.md and the routes' comments promise
 * (tests/server/model/). Fixed seeds: a failure names its seed and the steps before it. The same
 * seeds run again with a session store that fails one call of some requests (model/faults.ts).
 */
import { describe, expect, test } from 'bun:test'
import { run, type Seen } from './model/run'

const SEEDS = [1, 2, 3, 4, 5, 6]
const seen: Seen = new Map()

describe('the demo app agrees with its reference model', () => {
    for (const seed of SEEDS) {
        test(`seed ${seed}: three people, up to three tabs each, and a script`, async () => {
            for (const [kind, times] of await run(seed, 500)) seen.set(kind, (seen.get(kind) ?? 0) + times)
        })
    }

    // A model that agrees only because it never got there proves nothing.
    test('the seeds reach every kind of answer, for every kind of client', () => {
        const kinds = [...seen.keys()].sort()
        for (const client of ['htmx', 'form', 'api']) {
            for (const kind of ['ok', 'refused 404', 'refused 422', 'reload', 'cross-site'])
                expect(kinds).toContain(`${client} ${kind}`)
        }
        expect(kinds).toContain('htmx stale')
        expect(kinds).toContain('form stale')
    })
})

describe('with store faults, the demo app still agrees with its reference model', () => {
    const faults: Seen = new Map()
    for (const seed of SEEDS) {
        test(`seed ${seed}: the store fails one call of about one request in seven`, async () => {
            for (const [kind, times] of await run(seed, 500, { faults: true }))
                faults.set(kind, (faults.get(kind) ?? 0) + times)
        })
    }

    test('the seeds fail every route, and every kind of client in every way', () => {
        const kinds = [...faults.keys()]
        for (const client of ['htmx', 'form', 'api'])
            for (const how of ['down', 'unanswered', 'unsent', 'login kept the old session'])
                expect(kinds).toContain(`fault ${client} ${how}`)
        for (const route of ['cart', 'counter', 'theme', 'sign in', 'sign out', 'start over', 'page', 'count'])
            expect(kinds).toContain(`fault route ${route}`)
    })
})
