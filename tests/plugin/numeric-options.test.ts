/**
 * Every numeric option of the plugin and its stores is checked when it is given: NaN (an
 * unset environment variable through `Number()`), a fraction, or a value out of range stops
 * the app at startup with the option's name, instead of a limit nothing reaches, a timer
 * that runs every millisecond, or a `Max-Age` that browsers ignore.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
    memoryStore,
    redisStore,
    ScopedStateSetupError,
    SESSION_BYTES,
    scopedState,
    sqliteStore
} from '../../plugins/scoped-state'
import { SECRET } from '../helpers/plugin-app'

const folder = mkdtempSync(join(tmpdir(), 'numeric-options-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const TIMER_MAX = 2_147_483_647
const setup = { count: { value: 0 } }

interface Option {
    owner: string
    name: string
    make: (value: number) => unknown
    /** The message's range, after "must be a whole number". */
    range: string
    refused: number[]
    accepted: number[]
}

const plugin = (name: string, range: string, refused: number[], accepted: number[]): Option => ({
    owner: 'scopedState',
    name,
    make: (value) => scopedState(setup, { secret: SECRET, [name]: value }),
    range,
    refused,
    accepted
})
const timer = (
    owner: string,
    name: string,
    make: (value: number) => unknown,
    min = 1,
    accepted = [min, TIMER_MAX]
): Option => ({
    owner,
    name,
    make,
    range: `of milliseconds from ${min} to ${TIMER_MAX}`,
    refused: [Number.NaN, min - 1, 1.5, TIMER_MAX + 1, Number.POSITIVE_INFINITY],
    accepted
})
const sqlitePath = () => join(folder, `${crypto.randomUUID()}.sqlite`)
const closed = (store: { close(): unknown }) => void store.close()
// Nothing listens there: a store connects at its first command. Its lease must exceed lockTimeout + commandTimeout.
const redis = (options: Record<string, number>) =>
    closed(redisStore({ url: 'redis://127.0.0.1:1', lockLease: TIMER_MAX, ...options }))

const OPTIONS: Option[] = [
    plugin('idleTimeout', 'of seconds from 1 up', [0, Number.NaN, 1800.5, Number.POSITIVE_INFINITY], [1, 86_400]),
    plugin('absoluteTimeout', 'of seconds from 1 up', [-1, Number.NaN, 129_600.25], [1, 2_592_000]),
    plugin('refreshAfter', 'of seconds from 0 up', [-5, Number.NaN, 0.5], [0, 3_600]),
    plugin('maxStateBytes', 'of bytes from 1 up', [0, Number.NaN, 1024.5, Number.POSITIVE_INFINITY], [1, 65_536]),
    plugin('maxPages', 'of page scopes from 1 up', [0, -1, Number.NaN, 2.5], [1, 64]),
    plugin('version', 'from 1 up', [0, Number.NaN, 1.5, 2 ** 53], [1, 7]),
    {
        owner: 'memoryStore',
        name: 'maxSessions',
        make: (maxSessions) => closed(memoryStore({ maxSessions })),
        range: 'of sessions from 1 up',
        refused: [0, Number.NaN, 10.5, Number.POSITIVE_INFINITY],
        accepted: [1, 1_000_000]
    },
    {
        owner: 'memoryStore',
        name: 'maxBytes',
        make: (maxBytes) => closed(memoryStore({ maxBytes })),
        range: `of bytes from ${SESSION_BYTES} up`,
        refused: [SESSION_BYTES - 1, Number.NaN, 1e6 + 0.5, Number.POSITIVE_INFINITY],
        accepted: [SESSION_BYTES, 2 ** 40]
    },
    timer('memoryStore', 'sweepInterval', (sweepInterval) => closed(memoryStore({ sweepInterval }))),
    timer('sqliteStore', 'sweepInterval', (sweepInterval) =>
        closed(sqliteStore({ path: sqlitePath(), sweepInterval }))
    ),
    timer('sqliteStore', 'busyTimeout', (busyTimeout) => closed(sqliteStore({ path: sqlitePath(), busyTimeout })), 0),
    timer('scopedState', 'store.lockLease', (lockLease) =>
        scopedState(setup, { secret: SECRET, store: { ...memoryStore(), synchronous: false, lockLease } })
    ),
    timer('redisStore', 'commandTimeout', (commandTimeout) => redis({ commandTimeout, lockTimeout: 0 }), 1, [
        1,
        TIMER_MAX - 1
    ]),
    timer('redisStore', 'lockTimeout', (lockTimeout) => redis({ lockTimeout, commandTimeout: 1 }), 0, [
        0,
        TIMER_MAX - 2
    ]),
    timer('redisStore', 'lockLease', (lockLease) => redis({ lockLease, lockTimeout: 0, commandTimeout: 1 }), 1, [
        2,
        TIMER_MAX
    ]),
    timer('redisStore', 'sweepInterval', (sweepInterval) => redis({ sweepInterval }))
]

describe('numeric options', () => {
    for (const { owner, name, make, range, refused, accepted } of OPTIONS)
        test(`${owner}: ${name} refuses ${refused.join(', ')}; takes ${accepted.join(', ')}`, () => {
            for (const value of refused)
                expect(() => make(value)).toThrow(
                    new ScopedStateSetupError(`${owner}: ${name} must be a whole number ${range}, got ${value}.`)
                )
            for (const value of accepted) expect(() => make(value)).not.toThrow()
        })

    test('a value of another type (an environment variable not converted) is named with its type', () => {
        for (const [value, shown] of [
            ['3600', 'string "3600"'],
            [3600n, 'bigint 3600']
        ] as const)
            expect(() => scopedState(setup, { secret: SECRET, idleTimeout: value as never })).toThrow(
                new ScopedStateSetupError(
                    `scopedState: idleTimeout must be a whole number of seconds from 1 up, got ${shown}.`
                )
            )
    })

    test('a refused SQLite option creates no file', () => {
        const path = sqlitePath()
        expect(() => sqliteStore({ path, busyTimeout: Number.NaN })).toThrow(ScopedStateSetupError)
        expect(existsSync(path)).toBe(false)
    })
})
