/**
 * A bug (an error answered 500) is logged in full the first time it is thrown from a place,
 * then counted there: a bug on a busy route must not write a stack trace per request.
 */
import { afterEach, expect, spyOn, test } from 'bun:test'
import { bugLog } from '../../server/bug-log'
import { testApp } from '../helpers/app'
import { client } from '../helpers/client'

/** Errors made on one line, so thrown from one place, as a bug on a route is at each request. */
const fromOnePlace = (...messages: string[]) => messages.map((message) => new Error(message))

/** Resolves once `entries` has `count` of them, or after 5 s (then the test's expectations fail). */
const entriesReach = async (entries: unknown[], count: number) => {
    for (const deadline = Date.now() + 5_000; entries.length < count && Date.now() < deadline; ) await Bun.sleep(5)
}

test('the first error from a place in full; its repeats counted once per window; each place apart', async () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry), 50)
    const [first, ...repeats] = fromOnePlace('no file', 'no file again', 'no file again', 'no file again')
    const other = new TypeError('x is undefined')
    for (const error of [first, ...repeats, other]) bugs.report(error)
    expect(entries).toEqual([first, other])
    await entriesReach(entries, 3)
    expect(entries.slice(2)).toEqual(['Error: no file again: thrown 3 more times in the last 0.05 s, as logged above'])
    // A place quiet for a whole window is logged in full again.
    await Bun.sleep(150)
    const [again, once] = fromOnePlace('back', 'once')
    for (const error of [again, once]) bugs.report(error)
    expect(entries.at(-1)).toBe(again)
    bugs.stop()
})

test('stopping tells the repeats not told yet, and nothing comes after', async () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry), 50)
    for (const error of fromOnePlace('no file', 'no file')) bugs.report(error)
    bugs.stop()
    expect(entries.slice(1)).toEqual(['Error: no file: thrown once more before the app stopped, as logged above'])
    await Bun.sleep(120)
    expect(entries).toHaveLength(2)
})

const error = spyOn(console, 'error').mockImplementation(() => {})
afterEach(() => error.mockClear())

test('the app logs a bug that each request hits once, then counts it until it stops', async () => {
    const bug = new Error('cannot open /srv/app/secret.json')
    // Elysia runs its stop hooks only for a server that listens.
    const app = testApp()
        .post('/api/broken', () => {
            throw bug
        })
        .listen({ port: 0, hostname: '127.0.0.1' })
    const user = client(app)
    for (let i = 0; i < 5; i++) expect((await user.post('/api/broken')).status).toBe(500)
    expect(error.mock.calls).toEqual([[bug]])
    await app.stop()
    expect(error.mock.calls.slice(1)).toEqual([
        ['Error: cannot open /srv/app/secret.json: thrown 4 more times before the app stopped, as logged above']
    ])
})
