/**
 * `bun create <this checkout> my-app` gives a working app: the package renamed, the
 * dependencies installed, nothing git ignores copied, and `bun run dev` as the next step,
 * which keeps each user's state while it restarts on changes.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setCookieOf } from './helpers/client'
import { run } from './helpers/run'
import { listeningUrls, startServer } from './helpers/server'

const ROOT = join(import.meta.dir, '..')
const TEMPLATE = await Bun.file(join(ROOT, 'package.json')).json()
const IGNORED = (await Bun.file(join(ROOT, '.gitignore')).text())
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
/** The commands `bun create` runs before it installs: one, or a list run in turn. */
const PREINSTALL: string[] = [TEMPLATE['bun-create'].preinstall].flat()

let folder: string
let app: string
let output = ''

beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'create-test-'))
    app = join(folder, 'my-app')
    // An identity for the first commit bun create makes, on machines that have none.
    const identity = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@localhost' }
    const create = await run([process.execPath, 'create', ROOT, 'my-app'], folder, {
        ...identity,
        GIT_COMMITTER_NAME: identity.GIT_AUTHOR_NAME,
        GIT_COMMITTER_EMAIL: identity.GIT_AUTHOR_EMAIL
    })
    output = create.output
    if (create.code !== 0) throw new Error(`bun create failed with code ${create.code}:\n${output}`)
}, 60_000)

afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true })
})

test('renames the package after its folder and drops the bun-create section', async () => {
    const created = await Bun.file(join(app, 'package.json')).json()
    expect(created.name).toBe('my-app')
    expect(created['bun-create']).toBeUndefined()
    const { name: _, 'bun-create': __, ...rest } = TEMPLATE
    expect(created).toMatchObject(rest)
})

test('installs the dependencies and prints `bun run dev` as the next step', () => {
    for (const dependency of Object.keys({ ...TEMPLATE.dependencies, ...TEMPLATE.devDependencies }))
        expect(existsSync(join(app, 'node_modules', dependency, 'package.json'))).toBe(true)
    expect(output).toContain('cd my-app\n  bun run dev')
})

test('removes every ignored folder that bun create copies', () => {
    // bun create copies everything but node_modules and .git: each ignored folder must be removed.
    const folders = IGNORED.filter((line) => line.endsWith('/') && line !== 'node_modules/')
    const removed = PREINSTALL.join(' ').split(' ')
    for (const ignored of folders) expect(removed).toContain(ignored.slice(0, -1))
})

test("the preinstall cleans up under Bun's own shell too, which runs no command whose glob matches nothing", async () => {
    // `bun run` runs its scripts with that shell on Windows (and with --shell=bun).
    const files = ['data/development-secret', 'dist/app', 'tests/create.test.ts', 'tests/readme.test.ts', 'state.db']
    const shells = {
        sh: (task: string, cwd: string) => run(['sh', '-c', task], cwd),
        bun: (task: string, cwd: string) => Bun.$`${{ raw: task }}`.cwd(cwd).nothrow().quiet()
    }
    for (const [shell, runTask] of Object.entries(shells)) {
        const checkout = await mkdtemp(join(folder, `preinstall-${shell}-`))
        // A SQLite file closed cleanly, so without its -shm and -wal files, and a test of the app's own.
        for (const file of [...files, 'tests/app.test.ts']) await Bun.write(join(checkout, file), '')
        for (const task of PREINSTALL) await runTask(task, checkout)
        const left = await Array.fromAsync(new Bun.Glob('**').scan({ cwd: checkout, onlyFiles: false }))
        expect({ shell, left: left.sort() }).toEqual({ shell, left: ['tests', 'tests/app.test.ts'] })
    }
})

/** A .gitignore line as a glob: anchored at the root when it has an inner slash, else at any depth. */
const asGlob = (line: string) => {
    const pattern = line.replace(/\/$/, '')
    return new Bun.Glob(pattern.includes('/') ? pattern.replace(/^\//, '') : `**/${pattern}`)
}

test('copies no file that git ignores', async () => {
    const copied: string[] = []
    // Not macOS's .DS_Store, which Finder writes into the folders it shows: no data of the app's.
    for (const line of IGNORED.filter((line) => line !== 'node_modules/' && line !== '.DS_Store'))
        for await (const path of asGlob(line).scan({ cwd: app, dot: true, onlyFiles: false }))
            if (!/^(node_modules|\.git)\//.test(path)) copied.push(path)
    expect(copied).toEqual([])
    expect(existsSync(join(app, '.gitignore'))).toBe(true)
})

test("drops the template's own tests: of `bun create` itself, and of the README the new app rewrites", async () => {
    for (const file of ['tests/create.test.ts', 'tests/readme.test.ts']) {
        expect(existsSync(join(ROOT, file))).toBe(true)
        expect(existsSync(join(app, file))).toBe(false)
    }
    // Out of its first commit too: the new repository starts clean.
    expect((await run(['git', 'status', '--porcelain'], app)).output).toBe('')
    expect((await run(['git', 'ls-files', 'tests/create.test.ts', 'tests/readme.test.ts'], app)).output).toBe('')
    expect((await run(['git', 'log', '--format=%s'], app)).output.trim()).toBe('Initial commit (via bun create)')
})

test('made with --no-git inside another repository, leaves that repository as it was', async () => {
    const parent = join(folder, 'parent')
    await run(['git', 'init', '-q', parent], folder)
    const commit = ['git', '-c', 'user.name=test', '-c', 'user.email=test@localhost', 'commit', '-q', '--allow-empty']
    await run([...commit, '-m', 'Initial commit (via bun create)'], parent)
    const head = (await run(['git', 'rev-parse', 'HEAD'], parent)).output
    const create = await run([process.execPath, 'create', '--no-git', ROOT, 'inner'], parent)
    expect(create.code).toBe(0)
    expect((await run(['git', 'rev-parse', 'HEAD'], parent)).output).toBe(head)
}, 60_000)

// A second run of most of the suite: about a minute on a 2-core machine, over two when it is busy.
test('the new app passes its typecheck, lint, XSS scan and server tests', async () => {
    for (const command of [
        ['run', 'typecheck'],
        ['run', 'lint'],
        ['run', 'xss'],
        // The per-test timeout of the app's own `bun run test`: bun's default (5 s) is too short for a compile on a busy machine.
        ['test', '--timeout', '30000', 'tests/plugin', 'tests/server']
    ]) {
        const result = await run([process.execPath, ...command], app)
        if (result.code !== 0) throw new Error(`bun ${command.join(' ')} failed in the new app:\n${result.output}`)
    }
}, 300_000)

test("`bun run dev` keeps a user's session and state when a change restarts the server", async () => {
    // No SESSION_SECRET: development makes one, kept in data/ for the next start.
    const env = { NODE_ENV: 'development', SESSION_SECRET: '' }
    const server = await startServer({ command: [process.execPath, 'run', 'dev'], cwd: app, env })
    const changed = join(app, 'server/routes/health.ts')
    const original = await Bun.file(changed).text()
    try {
        const first = await fetch(`${server.url}/api/increment`, { method: 'POST' })
        const cookie = setCookieOf(first) ?? ''
        await fetch(`${server.url}/api/increment`, { method: 'POST', headers: { cookie } })

        // A change to a source file: bun --watch restarts the server (on a new port, PORT=0).
        await Bun.write(changed, `${original}\n`)
        const deadline = Date.now() + 20_000
        while (listeningUrls(server.output()).length < 2 && Date.now() < deadline) await Bun.sleep(50)
        const restarted = listeningUrls(server.output())[1]
        if (!restarted) throw new Error(`the server did not restart:\n${server.output()}`)

        const count = await fetch(`${restarted}/api/count`, { headers: { cookie } })
        expect(await count.text()).toBe('<span id="count">2</span>')
        // The cookie was accepted, not replaced by a new session's.
        expect(count.headers.get('set-cookie')).toBeNull()
    } finally {
        await server.stop()
        // As created, for the other tests of the new app, in whatever order they run.
        await Bun.write(changed, original)
        await rm(join(app, 'data'), { recursive: true, force: true })
    }
}, 60_000)
