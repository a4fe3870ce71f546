/**
 * `bun run dev` (`bun --watch server/dev.ts`) keeps watching after a mistake that stops the app,
 * and runs under NODE_ENV=production too, without the live reload that production refuses.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listeningUrls, spawnWatched, startServer } from '../helpers/server'

const ROOT = join(import.meta.dir, '../..')
const folder = mkdtempSync(join(tmpdir(), 'dev-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** Stands for the developer's file: `port` is what it sets, as a mistake in it would. */
const writeEntry = (port: string) =>
    Bun.write(
        join(folder, 'entry.ts'),
        `process.env.PORT = '${port}'\nawait import(${JSON.stringify(join(ROOT, 'server/dev.ts'))})\n`
    )

test('a configuration error stops the app, not the watcher: the fix starts it again', async () => {
    await writeEntry('eighty')
    // package.json's `dev` script, run on this entry, which loads server/dev.ts as the script does.
    const [, ...flags] = (await Bun.file(join(ROOT, 'package.json')).json()).scripts.dev.split(' ') as string[]
    expect(flags.pop()).toBe('server/dev.ts')
    const { child, output, waitFor } = spawnWatched([process.execPath, ...flags, join(folder, 'entry.ts')], {
        cwd: ROOT,
        // A store and a secret of its own: the development ones would go to this checkout's `data/`.
        env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            HOST: '127.0.0.1',
            SCOPED_STATE_STORE: 'memory',
            SESSION_SECRET: crypto.getRandomValues(Buffer.alloc(32)).toString('base64url')
        }
    })
    try {
        await waitFor((text) => text.includes('PORT must be an integer'), 'the error')
        await writeEntry('0')
        await waitFor((text) => listeningUrls(text).length > 0, 'a restart')
        const [url] = listeningUrls(output())
        expect((await fetch(`${url}/healthz`)).status).toBe(200)
    } finally {
        child.kill('SIGINT')
        await child.exited
    }
}, 60_000)

test('under NODE_ENV=production it starts, without live reload, which production refuses', async () => {
    const server = await startServer({
        command: [process.execPath, join(ROOT, 'server/dev.ts')],
        env: { NODE_ENV: 'production', SCOPED_STATE_STORE: 'memory' }
    })
    try {
        const page = await fetch(`${server.url}/counter`, { headers: { accept: 'text/html' } })
        expect(page.status).toBe(200)
        expect(await page.text()).not.toContain('live-reload')
    } finally {
        await server.stop()
    }
})
