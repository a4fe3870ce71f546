/**
 * A bug (an error answered 500) is logged in full the first time it is thrown from a place,
 * then counted there: a bug on a busy route must not write a stack trace per request.
 */
import { afterEach, expect, spyOn, test } from 'bun:test'
import { bugLog } from '../../server/bug-log'
import { testApp } from '../helpers/app'
import { client } from '../helpers/client'
import { lengthReaches } from '../helpers/wait'

/** Errors made on one line, so thrown from one place, as a bug on a route is at each request. */
const fromOnePlace = (...messages: string[]) => messages.map((message) => new Error(message))

/** Waits out `windows` windows of 50 ms (and a little), for the log's timer to run. */
const windowsPass = (windows: number) => Bun.sleep(windows * 50 + 30)

test('the first error from a place in full; its repeats counted once per window; each place apart', async () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry), 50)
    const [first, ...repeats] = fromOnePlace('no file', 'no file again', 'no file again', 'no file again')
    const other = new TypeError('x is undefined')
    for (const error of [first, ...repeats, other]) bugs.report(error)
    expect(entries).toEqual([first, other])
    await lengthReaches(entries, 3)
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

test('a place is the first frame in a file: bugs that pass through a built-in stay apart', () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry))
    // Two routes whose JSON.parse fails: the stacks begin in the built-in alike.
    let first: unknown
    let second: unknown
    try {
        JSON.parse('<')
    } catch (error) {
        first = error
    }
    try {
        JSON.parse('<')
    } catch (error) {
        second = error
    }
    for (const error of [first, second, first]) bugs.report(error)
    expect(entries).toEqual([first, second])
    bugs.stop()
})

test('a value thrown that is no error, even one String() cannot show, is logged and counted', () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry))
    const bare = Object.assign(Object.create(null), { code: 7 })
    for (let i = 0; i < 3; i++) bugs.report(bare)
    bugs.stop()
    expect(entries).toEqual([
        bare,
        '[Object: null prototype] { code: 7, }: thrown 2 more times before the app stopped, as logged above'
    ])
})

test('a place first seen just before a window ends is counted in the next, and forgotten once quiet a whole window', async () => {
    let now = 0
    const entries: unknown[] = []
    const bugs = bugLog(
        (entry) => entries.push(entry),
        50,
        () => now
    )
    const [first, again, later] = fromOnePlace('first', 'again', 'later')
    bugs.report(first)
    // The window ends 40 ms after the place was seen: it is kept, and its next error counted.
    now = 40
    await windowsPass(1)
    bugs.report(again)
    expect(entries).toEqual([first])
    await lengthReaches(entries, 2)
    expect(entries[1]).toBe('Error: again: thrown once more in the last 0.05 s, as logged above')
    // Quiet for a whole window since: forgotten, so logged in full again.
    now = 200
    await windowsPass(1)
    bugs.report(later)
    expect(entries.at(-1)).toBe(later)
    bugs.stop()
})

test('past 100 places at once, each more is logged in full every time', () => {
    const entries: unknown[] = []
    const bugs = bugLog((entry) => entries.push(entry))
    for (let i = 0; i < 101; i++) bugs.report(`value ${i}`)
    bugs.report('value 100')
    bugs.report('value 0')
    expect(entries).toHaveLength(102)
    expect(entries.at(-1)).toBe('value 100')
    bugs.stop()
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
