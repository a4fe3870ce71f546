/** A state the server answered with survives the server being killed (SIGKILL) and restarted. */
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { countOf, setCookieOf } from '../../helpers/client'
import { SECRET } from '../../helpers/plugin-app'
import { serversWithFolder } from '../../helpers/server'

const { dir, start: startServer } = serversWithFolder('scoped-state-restart-')
const start = (env: Record<string, string>) => startServer({ env })

test('kill -9 right after the responses, restart: the state is there', async () => {
    // A directory that does not exist yet: the server creates it.
    // The same secret across the restart, so the cookie still verifies.
    const env = {
        NODE_ENV: 'test',
        SESSION_SECRET: SECRET,
        SCOPED_STATE_STORE: `sqlite:${join(dir, 'data', 'state.db')}`
    }
    const first = await start(env)
    const created = await fetch(`${first.url}/api/increment`, { method: 'POST' })
    const cookie = setCookieOf(created) ?? ''
    expect(await countOf(created)).toBe(1)
    for (const expected of [2, 3]) {
        const response = await fetch(`${first.url}/api/increment`, { method: 'POST', headers: { cookie } })
        expect(await countOf(response)).toBe(expected)
    }
    first.child.kill('SIGKILL')
    expect(await first.child.exited).not.toBe(0)

    const second = await start(env)
    expect(await countOf(await fetch(`${second.url}/api/count`, { headers: { cookie } }))).toBe(3)
}, 30_000)
