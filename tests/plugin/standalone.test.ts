/**
 * `plugins/scoped-state/` copied on its own into an app that has nothing installed but
 * `elysia` (and Bun's types, for the typecheck), as its README tells users to do: it
 * compiles under a strict tsconfig, and the README's example serves over HTTP there,
 * with the memory store and with the SQLite store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { client, countOf, overHttp } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { run } from '../helpers/run'

const ROOT = join(import.meta.dir, '../..')

/**
 * `@tsconfig/strictest`'s checks, which a user's app may have. The plugin's own files meet
 * all of them; the app's files leave out `noPropertyAccessFromIndexSignature`, which
 * would refuse the README's `process.env.SESSION_SECRET` itself.
 */
const STRICTEST = {
    target: 'ESNext',
    module: 'Preserve',
    moduleResolution: 'bundler',
    types: ['bun'],
    noEmit: true,
    skipLibCheck: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    allowUnusedLabels: false,
    allowUnreachableCode: false,
    isolatedModules: true,
    verbatimModuleSyntax: true
}
const TSCONFIGS = {
    'tsconfig.json': { compilerOptions: STRICTEST, include: ['*.ts', 'plugins'] },
    'tsconfig.plugin.json': {
        compilerOptions: { ...STRICTEST, noPropertyAccessFromIndexSignature: true },
        include: ['plugins', 'migrate.ts']
    },
    // Node's ESM resolution (the folder's package.json says "type": "module"): relative imports name their file.
    'tsconfig.nodenext.json': {
        compilerOptions: {
            ...STRICTEST,
            noPropertyAccessFromIndexSignature: true,
            module: 'NodeNext',
            moduleResolution: 'NodeNext'
        },
        include: ['plugins', 'migrate.ts']
    }
}

/** The guide's `migrate`: `saved.cart` names a key of the setup, so it compiles under `noPropertyAccessFromIndexSignature`. */
const MIGRATE = `
import { scopedState } from './plugins/scoped-state/index.js'
type CartLine = { id: string; quantity: number }
export const plugin = scopedState({ cart: { value: [] as CartLine[], preserve: true } }, {
    version: 2,
    migrate: (saved, from) =>
        from < 2 && Array.isArray(saved.cart) ? { cart: saved.cart.map((id) => ({ id: String(id), quantity: 1 })) } : {}
})
`

/** A login whose choice may be missing: `persistent` takes `undefined` under `exactOptionalPropertyTypes`, as every option does. */
const LOGIN = `
import { Elysia } from 'elysia'
import { scopedState } from './plugins/scoped-state/index.js'
export const login = new Elysia()
    .use(scopedState({ count: { value: 0 } }, { secret: process.env['SESSION_SECRET'] }))
    .post('/login', ({ body, regenerateScopedSession }) => {
        const remember: boolean | undefined = (body as { remember?: boolean } | undefined)?.remember
        regenerateScopedSession({ persistent: remember })
        return 'signed in'
    })
`

/** Serves the README's example (memory store) and a counter on the SQLite store; prints both ports. */
const SERVE = `
import { Elysia } from 'elysia'
import { app } from './app'
import { scopedState, sqliteStore } from './plugins/scoped-state'

const sqlite = new Elysia()
    .use(scopedState({ count: { value: 0 } }, { secret: process.env.SESSION_SECRET, store: sqliteStore({ path: './state.db' }) }))
    .post('/api/increment', ({ scopedStore }) => \`<span id="count">\${++scopedStore.count}</span>\`)
app.listen({ port: 0, hostname: '127.0.0.1' })
sqlite.listen({ port: 0, hostname: '127.0.0.1' })
console.log(JSON.stringify({ memory: app.server?.port, sqlite: sqlite.server?.port }))
`

/** Creates the plugin without a secret: it must not start in production. */
const NO_SECRET = `
import { scopedState } from './plugins/scoped-state'
scopedState({ count: { value: 0 } })
console.log('started')
`

let folder: string

/** The first line a child prints (it keeps running), or `''` when it exits first. */
const firstLine = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    const decoder = new TextDecoder()
    let text = ''
    while (!text.includes('\n')) {
        const { value, done } = await reader.read()
        if (done) return ''
        text += decoder.decode(value, { stream: true })
    }
    return text.slice(0, text.indexOf('\n'))
}

beforeAll(async () => {
    // Outside this checkout, so that no parent `node_modules` can resolve a package the copy is not given.
    folder = await mkdtemp(join(tmpdir(), 'scoped-state-copy-'))
    cpSync(join(ROOT, 'plugins/scoped-state'), join(folder, 'plugins/scoped-state'), { recursive: true })
    mkdirSync(join(folder, 'node_modules/@types'), { recursive: true })
    for (const name of ['elysia', '@types/bun'])
        symlinkSync(join(ROOT, 'node_modules', name), join(folder, 'node_modules', name), 'dir')
    const readme = await Bun.file(join(ROOT, 'plugins/scoped-state/README.md')).text()
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    if (!example) throw new Error('the plugin README has no example')
    await Bun.write(join(folder, 'app.ts'), example)
    await Bun.write(join(folder, 'serve.ts'), SERVE)
    await Bun.write(join(folder, 'no-secret.ts'), NO_SECRET)
    await Bun.write(join(folder, 'migrate.ts'), MIGRATE)
    await Bun.write(join(folder, 'login.ts'), LOGIN)
    await Bun.write(join(folder, 'package.json'), JSON.stringify({ type: 'module' }))
    for (const [name, config] of Object.entries(TSCONFIGS)) await Bun.write(join(folder, name), JSON.stringify(config))
})

afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true })
})

describe('the plugin folder copied into an app with only elysia', () => {
    // Three compilers at once: each is one process on its own core, and the copy is only read.
    test.concurrent.each(Object.keys(TSCONFIGS))(
        'typechecks with the strictest settings (%s)',
        async (config) => {
            const { code, output } = await run([join(ROOT, 'node_modules/.bin/tsc'), '-p', config], folder)
            expect(output).toBe('')
            expect(code).toBe(0)
        },
        30_000
    )

    test("serves the README's example, and a counter on the SQLite store", async () => {
        const child = Bun.spawn([process.execPath, 'serve.ts'], {
            cwd: folder,
            env: { ...process.env, SESSION_SECRET: SECRET, NODE_ENV: 'production' },
            stdout: 'pipe',
            stderr: 'inherit'
        })
        try {
            const ports = await firstLine(child.stdout)
            if (!ports) throw new Error(`the copy did not start (exit code ${await child.exited})`)
            const { memory, sqlite } = JSON.parse(ports) as { memory: number; sqlite: number }

            const alice = client(overHttp(memory))
            await alice.post('/api/increment')
            expect(await countOf(await alice.post('/api/increment'))).toBe(2)
            expect(alice.cookie).toStartWith('user_session_id=')
            expect(await client(overHttp(memory)).text('/api/count')).toBe('<span id="count">0</span>')
            expect(await (await alice.post('/api/reset')).text()).toBe('State reset!')
            expect(await alice.text('/api/count')).toBe('<span id="count">0</span>')

            const bob = client(overHttp(sqlite))
            await bob.post('/api/increment')
            expect(await countOf(await bob.post('/api/increment'))).toBe(2)
            expect(existsSync(join(folder, 'state.db'))).toBe(true)
        } finally {
            child.kill()
            await child.exited
        }
    }, 30_000)

    test('compiled into an executable, it still reads NODE_ENV when it runs: no secret, no start in production', async () => {
        const built = await run(
            [process.execPath, 'build', '--compile', 'no-secret.ts', '--outfile', 'no-secret'],
            folder
        )
        expect(built.code).toBe(0)
        const production = await run([join(folder, 'no-secret')], folder, { NODE_ENV: 'production' })
        expect(production.code).not.toBe(0)
        expect(production.stderr).toContain('scopedState: a secret is required in production')
        const development = await run([join(folder, 'no-secret')], folder, { NODE_ENV: 'development' })
        expect(development.code).toBe(0)
        expect(development.stdout).toBe('started\n')
    })
})
