/**
 * The TypeScript samples of a markdown file, run as written: each is extracted to a file
 * (only its import of the plugin re-pointed, since the samples import it as
 * `./plugins/scoped-state` from the app's root) and imported.
 *
 * @example
 * const { app } = await loadSample('README.md', 0)
 * const { app } = await loadSample('plugins/scoped-state/RECIPES.md', 'response_mode')
 */

import { expect } from 'bun:test'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { client } from './client'

const ROOT = join(import.meta.dir, '../..')
const OUT = join(import.meta.dir, '../.readme-samples')

/** The ```ts and ```tsx blocks of a markdown file, in order. */
export const samples = async (file: string) => {
    const markdown = await Bun.file(join(ROOT, file)).text()
    return [...markdown.matchAll(/```(tsx?)\n([\s\S]*?)```/g)].map(([, lang, code]) => ({
        lang: lang as string,
        code: code as string
    }))
}

/**
 * Sample `which` of `file`: by its place, or the only one whose code contains the text `which`,
 * so that a sample added above it moves no test to another.
 */
const sampleOf = async (file: string, which: number | string) => {
    const all = await samples(file)
    const index = typeof which === 'number' ? which : all.findIndex(({ code }) => code.includes(which))
    const sample = all[index]
    if (!sample) throw new Error(`${file} has no sample ${JSON.stringify(which)}`)
    if (typeof which === 'string' && all.findLastIndex(({ code }) => code.includes(which)) !== index)
        throw new Error(`${file} has more than one sample containing ${JSON.stringify(which)}`)
    return { ...sample, index }
}

/** Writes sample `which` of `file` (`sampleOf`) under tests/.readme-samples; returns its path, to run it in a process of its own. */
export const writeSample = async (file: string, which: number | string) => {
    const sample = await sampleOf(file, which)
    mkdirSync(OUT, { recursive: true })
    const path = join(OUT, `${file.replaceAll('/', '-')}-${sample.index}.${sample.lang}`)
    await Bun.write(path, sample.code.replaceAll("'./plugins/scoped-state'", "'../../plugins/scoped-state'"))
    return path
}

/** Writes sample `which` of `file` (`sampleOf`) under tests/.readme-samples and imports it. */
export const loadSample = async (file: string, which: number | string) => import(await writeSample(file, which))

/** Removes the extracted samples. */
export const removeSamples = () => rmSync(OUT, { recursive: true, force: true })

type Handler = { handle(request: Request): Promise<Response> }

/** The counter sample both READMEs open with: per-user counts and a reset. */
export const counterSample = async (app: Handler) => {
    const user = client(app)
    expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
    expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">1</span>')
    expect(await (await user.post('/api/increment')).text()).toBe('<span id="count">2</span>')
    expect(await client(app).text('/api/count')).toBe('<span id="count">0</span>')
    expect(await (await user.post('/api/reset')).text()).toBe('State reset!')
    expect(await user.text('/api/count')).toBe('<span id="count">0</span>')
}
