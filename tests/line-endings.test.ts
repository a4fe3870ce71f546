/**
 * Every text file is checked out with LF line endings, whatever Git's `core.autocrlf` says:
 * Git for Windows sets it, and a checkout in CRLF fails `bun run lint` on every file and the
 * README samples' parser. `.gitattributes` says so; this checks that it covers every file.
 */
import { expect, test } from 'bun:test'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..')
const git = Bun.which('git')
const inCheckout =
    git !== null && Bun.spawnSync([git, 'rev-parse', '--is-inside-work-tree'], { cwd: ROOT }).exitCode === 0
const name = 'every committed file is checked out with LF line endings, or is binary'

test.skipIf(!inCheckout)(inCheckout ? name : `${name} (skipped: not a git checkout)`, () => {
    // One line per file: `i/<in the index> w/<in the work tree> attr/<its attributes>\t<path>`.
    const listing = Bun.spawnSync([git as string, 'ls-files', '--eol'], { cwd: ROOT }).stdout.toString()
    const unlike = listing
        .trim()
        .split('\n')
        .map((line) => /^i\/(\S*)\s+w\/\S*\s+attr\/(.*?)\s*\t(.*)$/.exec(line))
        .filter((match) => match !== null)
        .filter(([, index, attributes]) =>
            index === '-text' ? attributes !== '-text' : index !== 'lf' || attributes !== 'text=auto eol=lf'
        )
        .map(([, index, attributes, path]) => `${path}: i/${index} attr/${attributes}`)
    expect(unlike).toEqual([])
})
