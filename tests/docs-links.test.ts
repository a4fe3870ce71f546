/**
 * Every relative link of the project's Markdown leads somewhere: the file exists and, for a
 * `#section`, a heading of that file makes that anchor (as GitHub writes them). The plugin's
 * own docs link only inside its folder, which people copy on its own.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const ROOT = join(import.meta.dir, '..')
const PLUGIN = 'plugins/scoped-state'
// The project's own: not node_modules', nor what tests and tools leave in ignored folders.
const FILES = ['*.md', 'docs/**/*.md', 'plugins/**/*.md'].flatMap((pattern) => [
    ...new Bun.Glob(pattern).scanSync(ROOT)
])

/** The text outside fenced code blocks, where `#` starts no heading and `](…)` is no link. */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')

/**
 * The anchors GitHub gives the headings of `markdown`: the heading's text (a link's or code's, without
 * its markup) in lower case, all but letters, digits, `_`, `-` and spaces dropped, each space a `-`;
 * a repeat of an anchor gets `-1`, `-2`… after it.
 */
const anchorsIn = (markdown: string) => {
    const seen = new Map<string, number>()
    const anchors = new Set<string>()
    for (const [, title = ''] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
        const slug = title
            .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
            .toLowerCase()
            .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
            .replace(/ /g, '-')
        const repeats = seen.get(slug) ?? 0
        seen.set(slug, repeats + 1)
        anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`)
    }
    return anchors
}
const anchorsOf = (file: string) => anchorsIn(readFileSync(join(ROOT, file), 'utf8'))

/** The relative links of a file: `[text](target)`, without web addresses. */
const linksOf = (file: string) =>
    [...prose(readFileSync(join(ROOT, file), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)]
        .map(([, target = '']) => target)
        .filter((target) => !/^[a-z]+:/i.test(target))

describe('Markdown links', () => {
    test('the project has Markdown files to check', () => {
        expect(FILES).toContain('README.md')
        expect(FILES).toContain(`${PLUGIN}/GUIDE.md`)
        expect(FILES).toContain(`${PLUGIN}/RECIPES.md`)
    })

    test('anchors are made as GitHub makes them', () => {
        const headings = [
            "# Architecture: a request's path",
            '## SQLite (`bun:sqlite`)',
            '## `/healthz`',
            '### No lost updates: a per-session lock',
            '## The [plugin](plugins/scoped-state/README.md) and `max_age`',
            '## Notes',
            '## Notes',
            '```sh',
            '# not a heading',
            '```',
            '## Notes'
        ]
        expect([...anchorsIn(headings.join('\n'))]).toEqual([
            'architecture-a-requests-path',
            'sqlite-bunsqlite',
            'healthz',
            'no-lost-updates-a-per-session-lock',
            'the-plugin-and-max_age',
            'notes',
            'notes-1',
            'notes-2'
        ])
    })

    for (const file of [`${PLUGIN}/GUIDE.md`, `${PLUGIN}/RECIPES.md`])
        test(`${file}: the contents list above its first section links every section`, () => {
            const markdown = readFileSync(join(ROOT, file), 'utf8')
            const contents = markdown.slice(0, markdown.indexOf('\n## '))
            const sections = [...anchorsIn(markdown.slice(contents.length))]
            expect(sections.filter((anchor) => !contents.includes(`](#${anchor})`))).toEqual([])
        })

    for (const file of FILES)
        test(`${file}: every relative link and #section exists`, () => {
            const broken: string[] = []
            for (const link of linksOf(file)) {
                const [path = '', anchor] = link.split('#')
                const target = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), path))
                if (!existsSync(join(ROOT, target))) broken.push(`${link}: no file ${target}`)
                else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor))
                    broken.push(`${link}: no heading of ${target} makes #${anchor}`)
                else if (file.startsWith(`${PLUGIN}/`) && !target.startsWith(`${PLUGIN}/`))
                    broken.push(`${link}: outside ${PLUGIN}/, which is copied on its own`)
            }
            expect(broken).toEqual([])
        })
})
