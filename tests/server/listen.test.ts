/** A start refused after the server came up (a plugin's `onStart`) leaves nothing listening. */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { freePort } from '../../bench/ports'
import { listen } from '../../server/listen'

test('a start hook that throws: listen throws its error, and the port is free again', async () => {
    const port = await freePort()
    const refused = new Error('refused at start')
    const app = new Elysia()
        .onStart(() => {
            throw refused
        })
        .get('/', () => 'up')
    expect(() => listen(app, port, '127.0.0.1')).toThrow(refused)
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow()
    // Free: another server can take the port.
    const next = Bun.serve({ port, hostname: '127.0.0.1', fetch: () => new Response('next') })
    try {
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('next')
    } finally {
        await next.stop(true)
    }
})
