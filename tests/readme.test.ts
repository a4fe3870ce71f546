/**
 * The TypeScript sample of the template's README.md runs here as written, and the lists of
 * docs/your-own-app.md's "Dropping a demo" name the template's tests. A new app made with
 * `bun create` writes its own README and drops those tests, so this file is not copied there.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { basename, join } from 'node:path'
import { counterSample, loadSample, removeSamples, samples } from './helpers/readme-samples'

const ROOT = join(import.meta.dir, '..')

afterAll(removeSamples)

/** docs/your-own-app.md's "Dropping a demo" item, down to the next item of its list or the end of the list. */
const droppingADemo = async () => {
    const doc = await Bun.file(join(ROOT, 'docs/your-own-app.md')).text()
    const dropping = /^- \*\*Dropping a demo\*\*[\s\S]*?(?=\n- |\n$)/m.exec(doc)?.[0] ?? ''
    expect(dropping).not.toBe('')
    return dropping
}

describe('README.md and docs/your-own-app.md', () => {
    test('has exactly the samples this file exercises', async () => {
        expect((await samples('README.md')).length).toBe(1)
    })

    test('the plugin sample: per-user counts and a reset', async () => {
        await counterSample((await loadSample('README.md', 0)).app)
    })

    // Dropping the counter breaks every test that starts this app: "Dropping a demo" must not say to leave one.
    test('"Dropping a demo" names each test under tests/plugin/ that starts this app', async () => {
        const dropping = await droppingADemo()
        const startingThisApp: string[] = []
        // Not a mere import of the helpers' file: hot-reload.test.ts takes only its output readers from there.
        // Nor a server started with a command of its own (real-processes.test.ts's fixture).
        for await (const path of new Bun.Glob('plugin/**/*.test.ts').scan(import.meta.dir))
            if (
                /\bstartServer\((?!\{ command:)|expectAppRefusedByRedis\(/.test(
                    await Bun.file(join(import.meta.dir, path)).text()
                )
            )
                startingThisApp.push(basename(path, '.test.ts'))
        expect(startingThisApp).not.toEqual([])
        for (const name of startingThisApp)
            expect({ name, named: dropping.includes(`\`${name}\``) }).toEqual({ name, named: true })
    })

    // The account's sign-in and sign-out alone end a session: tests of the shared code use them too.
    test('"Dropping a demo" names each test outside the account demo\'s own that signs in or out', async () => {
        const dropping = await droppingADemo()
        const signingIn: string[] = []
        for await (const path of new Bun.Glob('{server,e2e}/**/*.ts').scan(import.meta.dir))
            if (
                !path.endsWith('account.test.ts') &&
                /\/account\/sign-(in|out)|signIn\(/.test(await Bun.file(join(import.meta.dir, path)).text())
            )
                signingIn.push(`tests/${path}`)
        expect(signingIn).not.toEqual([])
        for (const path of signingIn)
            expect({ path, named: dropping.includes(`\`${path}\``) }).toEqual({ path, named: true })
    })
})
