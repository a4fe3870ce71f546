/**
 * `bun run build` makes one executable that serves the whole app on its own: it runs
 * here from an empty folder, with no node_modules and no public/ next to it.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Subprocess } from 'bun'
import { PUBLIC_FILES } from '../server/assets'

const ROOT = join(import.meta.dir, '..')
const PUBLIC = join(ROOT, 'public')
const CONTENT_TYPES: Record<string, string> = {
    '.css': 'text/css',
    '.js': 'text/javascript',
    '.svg': 'image/svg+xml'
}
// Compiling takes a few seconds on a small machine; starting the executable, less than one.
const TIMEOUT_MS = 120_000

let folder: string
let executable: string
let server: Running
let url: string

interface Running {
    url: string
    child: Subprocess<'ignore', 'pipe', 'pipe'>
    /** Resolves with all it printed once it exits. */
    output: Promise<string>
}

/** Starts the executable from an empty folder with only the documented variables, and waits for its port. */
const run = async (): Promise<Running> => {
    const emptyFolder = await mkdtemp(join(folder, 'run-'))
    const child = Bun.spawn([executable], {
        cwd: emptyFolder,
        // Only the documented variables: nothing from this project or shell leaks in.
        env: {
            PORT: '0',
            HOST: '127.0.0.1',
            NODE_ENV: 'production',
            SESSION_SECRET: crypto.getRandomValues(Buffer.alloc(32)).toString('base64url')
        },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe'
    })
    let printed = ''
    const listening = Promise.withResolvers<string>()
    /** Appends a stream of the executable to `printed`, watching for the port it listens on. */
    const collect = async (stream: ReadableStream<Uint8Array>) => {
        const decoder = new TextDecoder()
        const reader = stream.getReader()
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
            printed += decoder.decode(read.value, { stream: true })
            const port = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(printed)?.[1]
            if (port) listening.resolve(`http://127.0.0.1:${port}`)
        }
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const output = Promise.all([collect(child.stdout), collect(child.stderr)]).then(() => {
        listening.reject(new Error(`the executable exited without listening; its output:\n${printed}`))
        return printed
    })
    return { url: await listening.promise.finally(() => clearTimeout(timer)), child, output }
}

beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'build-test-'))
    executable = join(folder, 'app')
    // The project's own build script; a second --outfile wins, so dist/ stays untouched.
    const build = Bun.spawn([process.execPath, 'run', 'build', '--outfile', executable], {
        cwd: ROOT,
        stdout: 'ignore',
        stderr: 'pipe'
    })
    if ((await build.exited) !== 0) throw new Error(`bun run build failed:\n${await new Response(build.stderr).text()}`)
    server = await run()
    url = server.url
}, TIMEOUT_MS)

afterAll(async () => {
    if (server && server.child.exitCode === null) {
        server.child.kill('SIGKILL')
        await server.child.exited
    }
    if (folder) await rm(folder, { recursive: true, force: true })
})

test('every file of public/ is embedded', async () => {
    expect(PUBLIC_FILES.map((file) => basename(file)).sort()).toEqual((await readdir(PUBLIC)).sort())
})

test('serves the pages, in production with Strict-Transport-Security', async () => {
    const response = await fetch(`${url}/counter`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('text/html')
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000')
    expect(await response.text()).toContain('id="count"')
})

test('serves every file of public/ as it is on disk, with its content type', async () => {
    for (const name of await readdir(PUBLIC)) {
        const response = await fetch(`${url}/public/${name}`)
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toStartWith(
            CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? '?'
        )
        expect(await response.text()).toBe(await Bun.file(join(PUBLIC, name)).text())
    }
})

test("live reload's script is not served: only `bun run dev` has it", async () => {
    for (const path of ['/public/live-reload.js', '/_dev/live-reload.js'])
        expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 404])
})

test('in production, a revalidated file of public/ answers 304 with its caching, as from source', async () => {
    const file = `${url}/public/favicon.svg`
    const etag = (await fetch(file)).headers.get('etag') ?? ''
    expect(etag).not.toBe('')
    for (let time = 0; time < 2; time++) {
        const again = await fetch(file, { headers: { 'if-none-match': etag } })
        expect(again.status).toBe(304)
        expect(again.headers.get('cache-control')).toBe('public, max-age=86400')
    }
})

test('serves htmx at the URL the layout links', async () => {
    const page = await (await fetch(`${url}/counter`)).text()
    const src = /<script src="(\/vendor\/[^"]+)"/.exec(page)?.[1]
    expect(src).toBeDefined()
    const response = await fetch(`${url}${src}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('text/javascript')
    const htmx = Bun.file(Bun.resolveSync('htmx.org/dist/htmx.min.js', ROOT))
    expect(await response.text()).toBe(await htmx.text())
})

test('keeps state between requests of one session', async () => {
    const first = await fetch(`${url}/api/increment`, { method: 'POST' })
    expect(first.status).toBe(200)
    expect(await first.text()).toContain('>1<')
    const setCookie = first.headers.get('set-cookie') ?? ''
    // In production a `__Host-` cookie, Secure even on a request that came over http.
    expect(setCookie).toStartWith('__Host-session=')
    expect(setCookie).toEndWith('; Path=/; HttpOnly; Secure; SameSite=Lax')
    const cookie = setCookie.split(';')[0]

    const second = await fetch(`${url}/api/increment`, { method: 'POST', headers: { cookie: cookie ?? '' } })
    expect(await second.text()).toContain('>2<')
})

test('stops cleanly on SIGTERM, with no access log in production', async () => {
    // One of its own: the other tests share theirs, in whatever order they run.
    const own = await run()
    expect((await fetch(`${own.url}/api/increment`, { method: 'POST' })).status).toBe(200)
    expect((await fetch(`${own.url}/counter`)).status).toBe(200)
    own.child.kill('SIGTERM')
    expect(await own.child.exited).toBe(0)
    expect((await own.output).trim().split('\n')).toEqual([
        expect.stringMatching(/^Listening on http:\/\/127\.0\.0\.1:\d+ \(production; session state: memory\)$/),
        'SIGTERM: stopping once requests in flight finish (at most 10 s).',
        'Stopped.'
    ])
})
