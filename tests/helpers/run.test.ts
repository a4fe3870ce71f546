import { expect, test } from 'bun:test'
import { run } from './run'

test('a command past its timeout is stopped, and says so by its code', async () => {
    const { code } = await run(['sleep', '30'], import.meta.dir, {}, 100)
    expect(code).toBe(143)
    expect((await run(['true'], import.meta.dir, {}, 10_000)).code).toBe(0)
})
