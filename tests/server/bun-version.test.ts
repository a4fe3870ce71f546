/**
 * server/bun-version.ts, run as the entry point and `bun test` run it: on a Bun older than
 * package.json's `engines.bun` it stops at once, saying so; on one that satisfies it, it is silent.
 */
import { afterAll, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../helpers/run'

const folder = mkdtempSync(join(tmpdir(), 'bun-version-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** Runs the check in a project whose package.json asks for Bun `range`. */
const check = (range: string) => {
    const project = mkdtempSync(join(folder, 'project-'))
    mkdirSync(join(project, 'server'))
    cpSync(join(import.meta.dir, '../../server/bun-version.ts'), join(project, 'server/bun-version.ts'))
    writeFileSync(join(project, 'package.json'), JSON.stringify({ engines: { bun: range } }))
    return run([process.execPath, 'server/bun-version.ts'], project)
}

test('a Bun older than engines.bun stops at once with exit code 1, naming both versions', async () => {
    const { code, stderr } = await check('>=99.0.0')
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`This project needs Bun >=99.0.0; this is Bun ${Bun.version}. Run \`bun upgrade\`.`)
})

test('a Bun that satisfies engines.bun goes on, silently', async () => {
    expect(await check(`>=${Bun.version}`)).toMatchObject({ code: 0, output: '' })
})
