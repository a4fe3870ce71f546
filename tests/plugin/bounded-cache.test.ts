/** The bounded map behind the verified-id and parsed-record caches. */
import { expect, test } from 'bun:test'
import { BoundedCache } from '../../plugins/scoped-state/bounded-cache'

test('forgets what was not used lately, keeps what was', () => {
    const cache = new BoundedCache<number>(4)
    for (const key of ['k0', 'k1', 'k2']) cache.add(key, 1)
    expect(cache.get('k0')).toBe(1) // used again
    for (const key of ['k3', 'k4']) cache.add(key, 1)
    expect(cache.get('k1')).toBeUndefined()
    expect(cache.get('k0')).toBe(1)
    expect(cache.get('k4')).toBe(1)
})

test('holds at most max entries', () => {
    const cache = new BoundedCache<number>(4)
    for (let i = 0; i < 100; i++) cache.add(`k${i}`, i)
    // Misses change nothing, so the older 96 can be checked one by one: all gone.
    const older = Array.from({ length: 96 }, (_, i) => `k${i}`)
    expect(older.filter((key) => cache.get(key) !== undefined)).toEqual([])
    expect(cache.get('k99')).toBe(99)
})

test('a failed computation (undefined) is not stored', () => {
    const cache = new BoundedCache<number>(4)
    expect(cache.add('k', undefined)).toBeUndefined()
    expect(cache.get('k')).toBeUndefined()
    expect(cache.add('k', 2)).toBe(2)
    expect(cache.get('k')).toBe(2)
})
