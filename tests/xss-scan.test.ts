/**
 * `bun run xss` (`xss-scan`, from @kitajs/ts-html-plugin) is what stops a view from showing
 * a user's string unescaped. It exits 0 when it crashes (under TypeScript 7, which has no
 * JavaScript API for it to call, it fails on its first line and the test command goes on),
 * so its passing says nothing by itself: here it must find the one unescaped string in a view.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { run } from './helpers/run'

const ROOT = join(import.meta.dir, '..')
// Inside the project, so that the view resolves @kitajs/html as the app's do; outside tsconfig's `include`.
mkdirSync(join(ROOT, '.scratch'), { recursive: true })
const folder = mkdtempSync(join(ROOT, '.scratch', 'xss-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const VIEW = `import Html from '@kitajs/html'

export const Unescaped = ({ name }: { name: string }) => <p>{name}</p>
export const Escaped = ({ name }: { name: string }) => <p safe>{name}</p>
export const EscapedByHand = ({ name }: { name: string }) => <p>{Html.escapeHtml(name)}</p>
`

test('xss-scan finds a user string shown without `safe`, and only that one', async () => {
    const view = join(folder, 'view.tsx')
    await Bun.write(view, VIEW)
    const { code, output } = await run([join(ROOT, 'node_modules/.bin/xss-scan'), relative(ROOT, view)], ROOT)
    expect(output).toContain('K601: Usage of xss-prone content without `safe` attribute')
    expect(output).toContain(`${relative(ROOT, view)}(3,`)
    expect(output).toContain('Found 1 error')
    expect(code).toBe(1)
}, 60_000)
