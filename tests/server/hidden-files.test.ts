/**
 * Names under public/ that start with a dot are never served: a `.env` or `.git/` left there, a
 * `.DS_Store` that Finder writes, an editor's swap file. Outside production the static plugin looks
 * each request up on disk, so files written here, beside the real ones, are what it would serve.
 */
import { expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PUBLIC_DIR } from '../../server/assets'
import { testApp } from '../helpers/app'

// Unique, so that nothing of a developer's own in public/ is touched.
const mark = `hidden-files-test-${crypto.randomUUID()}`
const written = [`.${mark}.env`, `.${mark}`, `${mark}.txt`]

test('a dotfile or a file in a dot folder under public/ answers 404; the same content under a plain name is served', async () => {
    // Removed in `finally`, not `afterAll`, which `bun test --bail` skips after a failure: the files
    // would stay in public/, where build.test.ts finds files the executable does not embed.
    try {
        writeFileSync(join(PUBLIC_DIR, `.${mark}.env`), 'SESSION_SECRET=not-for-the-web')
        mkdirSync(join(PUBLIC_DIR, `.${mark}`))
        writeFileSync(join(PUBLIC_DIR, `.${mark}`, 'config'), '[remote "origin"]')
        writeFileSync(join(PUBLIC_DIR, `${mark}.txt`), 'public')
        const app = testApp()
        const get = (path: string) => app.handle(new Request(`http://localhost/public/${path}`))
        for (const path of [`.${mark}.env`, `.${mark}/config`]) {
            const answer = await get(path)
            expect(answer.status).toBe(404)
            expect(await answer.text()).not.toMatch(/not-for-the-web|remote/)
        }
        expect(await (await get(`${mark}.txt`)).text()).toBe('public')
    } finally {
        for (const name of written) rmSync(join(PUBLIC_DIR, name), { recursive: true, force: true })
    }
})
