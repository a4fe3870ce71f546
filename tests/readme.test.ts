/**
 * Every TypeScript sample of README.md and of the plugin's README runs here as written:
 * each is extracted to a file (only its import of the plugin re-pointed, since the
 * samples import it as `./plugins/scoped-state` from the app's root) and exercised.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { scopedState } from '../plugins/scoped-state'
import { client } from './helpers/client'

const ROOT = join(import.meta.dir, '..')
const OUT = join(import.meta.dir, '.readme-samples')
mkdirSync(OUT, { recursive: true })
afterAll(() => rmSync(OUT, { recursive: true, force: true }))

/** The ```ts and ```tsx blocks of a markdown file, in order. */
const samples = async (file: string) => {
    const markdown = await Bun.file(join(ROOT, file)).text()
    return [...markdown.matchAll(/```(tsx?)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({
        lang: lang as string,
        code: code as string
    }))
}

/** Writes sample `index` of `file` next to this test and imports it. */
const load = async (file: string, index: number) => {
    const sample = (await samples(file))[index]
    if (!sample) throw new Error(`${file} has no sample #${index}`)
    const path = join(OUT, `${file.replaceAll('/', '-')}-${index}.${sample.lang}`)
    await Bun.write(path, sample.code.replaceAll("'./plugins/scoped-state'", "'../../plugins/scoped-state'"))
    return import(path)
}

type Handler = { handle(request: Request): Promise<Response> }

const counterSample = async (app: Handler) => {
    const user = client(app)
    expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
    expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">1</span>')
    expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">2</span>')
    expect(await client(app).text('/api/count')).toBe('<span id="count">0</span>')
    expect(await (await user.post('/api/reset')).text()).toBe('State reset!')
    expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
}

describe('README.md', () => {
    test('has exactly the samples this file exercises', async () => {
        expect((await samples('README.md')).length).toBe(1)
    })

    test('the plugin sample: per-user counts and a reset', async () => {
        await counterSample((await load('README.md', 0)).app)
    })
})

describe('plugins/scoped-state/README.md', () => {
    const file = 'plugins/scoped-state/README.md'

    test('has exactly the samples this file exercises', async () => {
        expect((await samples(file)).length).toBe(4)
    })

    test('the 15-line example', async () => {
        await counterSample((await load(file, 0)).app)
    })

    test('login regenerates the session, logout destroys it', async () => {
        const { app } = await load(file, 1)
        const user = client(app)
        const login = await user.post('/login')
        expect(login.status).toBe(303)
        const first = user.cookie
        expect(first).toStartWith('user_session_id=')
        await user.post('/login')
        expect(user.cookie).not.toBe(first)
        // htmx gets a full page load instead of a redirect it would follow inside fetch().
        const htmx = await user.post('/login', { 'hx-request': 'true' })
        expect(htmx.status).toBe(200)
        expect(htmx.headers.get('hx-redirect')).toBe('/')
        const logout = await user.post('/logout')
        expect(logout.status).toBe(303)
        expect(logout.headers.get('set-cookie')).toContain('Max-Age=0')
        expect(user.cookie).toBe('')
    })

    test('a new version of the setup migrates the state saved under the old one', async () => {
        // Version 1, on the memory store and development secret that instances given none share.
        const first = new Elysia()
            .use(scopedState({ cart: { value: [] as string[], preserve: true } }))
            .post('/cart/:id', ({ scopedStore, params }) => scopedStore.cart.push(params.id))
        const user = client(first)
        await user.post('/cart/mug')
        await user.post('/cart/pen')
        const { app } = await load(file, 2)
        expect(await (await client(app, user.cookie).get('/cart')).json()).toEqual([
            { id: 'mug', quantity: 1 },
            { id: 'pen', quantity: 1 }
        ])
    })

    test('the page wiring: header for htmx, page_id for plain forms', async () => {
        const { CounterPage } = await load(file, 3)
        const html = String(CounterPage({ pageId: 'abc.def', count: 2 }))
        expect(html).toContain('hx-headers:inherited="{&#34;x-page-id&#34;:&#34;abc.def&#34;}"')
        expect(html).toContain('action="/api/increment?page_id=abc.def"')
        expect(html).toContain('<span id="count">2</span>')
    })
})
