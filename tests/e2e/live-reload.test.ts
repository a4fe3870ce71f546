/**
 * `bun run dev` in a real browser: when `bun --watch` restarts the server after a change, the
 * open page reloads by itself, once (the CSP lets its WebSocket through: the harness fails a
 * test on any CSP report).
 */
import { afterAll, expect } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../bench/ports'
import { lengthReaches } from '../helpers/wait'
import { browserTest, e2eSuite } from './harness'

const DEV_ENTRY = join(import.meta.dir, '../../server/dev.ts')
const folder = mkdtempSync(join(tmpdir(), 'live-reload-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

// Stands for the developer's file, which `bun --watch` watches: a change to it restarts the server.
// The port is fixed, as `bun run dev`'s is: the page reconnects to the address it came from.
const entry = join(folder, 'entry.ts')
const port = await freePort()
/** Writes the entry, as change `change`; `serves: false` leaves the server out (it stops). */
const writeEntry = (change: number, serves = true) =>
    Bun.write(
        entry,
        `// change ${change}\nprocess.env.PORT = '${port}'\n${serves ? `await import(${JSON.stringify(DEV_ENTRY)})\n` : ''}`
    )
await writeEntry(1)

// A restart takes a second or two on a busy machine; the harness's step timeout is shorter.
const RESTART_TIMEOUT_MS = 20_000

e2eSuite(
    'live reload under bun run dev',
    (e2e) => {
        browserTest('a restart after a change reloads the open page, once', async () => {
            const page = await (await e2e.newContext()).newPage()
            // What each of the page's sockets heard: the id of the server's process.
            const ids: string[] = []
            page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => ids.push(String(payload))))
            let loads = 0
            page.on('load', () => loads++)
            await page.goto('/counter')
            await lengthReaches(ids, 1)
            // Gone once the page reloads.
            await page.evaluate(() => {
                document.documentElement.dataset.beforeRestart = 'yes'
            })

            const reloaded = page.waitForEvent('load', { timeout: RESTART_TIMEOUT_MS })
            await writeEntry(2)
            await reloaded
            expect(await page.evaluate(() => document.documentElement.dataset.beforeRestart)).toBeUndefined()

            // The page heard a new process, reloaded, and the reloaded page hears that one: it stays.
            await lengthReaches(ids, 3)
            expect(ids[1]).not.toBe(ids[0])
            expect(ids[2]).toBe(ids[1])
            await page.waitForTimeout(500)
            expect(loads).toBe(2)
        })

        browserTest(
            'a stopped server: the page tries again less and less often, and reloads once it is back',
            async () => {
                const page = await (await e2e.newContext()).newPage()
                const ids: string[] = []
                const closed: number[] = []
                page.on('websocket', (socket) => {
                    socket.on('framereceived', ({ payload }) => ids.push(String(payload)))
                    socket.on('close', () => closed.push(Date.now()))
                })
                await page.goto('/counter')
                await lengthReaches(ids, 1)
                // The entry now starts no server: `bun --watch` runs it, and the port is closed.
                await writeEntry(-1, false)
                await lengthReaches(closed, 1)
                await page.waitForTimeout(4_000)
                // Tries after 0.25, 0.75, 1.75 and 3.75 s (then every 2 s), not every half second (8).
                const tries = closed.length - 1
                expect(tries).toBeGreaterThanOrEqual(2)
                expect(tries).toBeLessThanOrEqual(5)
                const reloaded = page.waitForEvent('load', { timeout: RESTART_TIMEOUT_MS })
                await writeEntry(3)
                await reloaded
            }
        )
    },
    () => ({
        command: [process.execPath, '--watch', '--no-clear-screen', entry],
        // LIVE_RELOAD is left to server/dev.ts, which turns it on.
        env: { SCOPED_STATE_STORE: 'memory' },
        timeoutMs: RESTART_TIMEOUT_MS
    })
)
