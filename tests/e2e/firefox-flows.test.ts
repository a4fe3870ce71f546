/**
 * The main flows in Firefox ESR as well, in every run of the suite: the counter, the cart, the
 * theme and the account, each with its JavaScript-off path, run as they are by a child `bun test` with
 * `E2E_BROWSER=firefox` (`./harness.ts`). Without Firefox this file is skipped, saying why, or
 * fails when env REQUIRE_SERVICES=1 (CI).
 */
import { test } from 'bun:test'
import { join } from 'node:path'
import { run } from '../helpers/run'
import { findFirefox } from './firefox'

const ROOT = join(import.meta.dir, '../..')
const lookup = findFirefox()
const SKIPPED = 'missing' in lookup && process.env.REQUIRE_SERVICES !== '1'
if ('missing' in lookup && SKIPPED) console.warn(`the Firefox runs of the e2e flows are skipped: ${lookup.missing}`)

// Reliable in Firefox (docs/htmx-4.md), and about a minute together on a 2-core machine. The
// account's oversized sign-in checks that Firefox gets the app's 413 (server/refused-body.ts).
const FILES = [
    'tests/e2e/counter.test.ts',
    'tests/e2e/cart.test.ts',
    'tests/e2e/theme.test.ts',
    'tests/e2e/account.test.ts'
]

// Each file starts Firefox and a server, then takes 10 to 25 s: room for a busy machine.
const RUN_TIMEOUT_MS = 180_000

/** The counts of bun test's summary, whose `Ran` includes the skipped and todo tests. */
const summary = (output: string) => ({
    ran: Number(/^Ran (\d+) tests? across/m.exec(output)?.[1] ?? 0),
    passed: Number(/^ *(\d+) pass$/m.exec(output)?.[1] ?? 0)
})

for (const file of FILES)
    test.skipIf(SKIPPED)(
        `${file} passes in Firefox`,
        async () => {
            if ('missing' in lookup) throw new Error(lookup.missing)
            // REQUIRE_SERVICES=1: a child that could not start Firefox fails instead of skipping. `./`: a
            // path, where a bare argument is a filter that any test file whose path contains it matches.
            // Stopped before this test's own timeout, which would leave it running and its output unseen.
            const { code, output } = await run(
                [process.execPath, 'test', '--timeout', '30000', `./${file}`],
                ROOT,
                { E2E_BROWSER: 'firefox', FIREFOX_PATH: lookup.path, REQUIRE_SERVICES: '1' },
                RUN_TIMEOUT_MS - 10_000
            )
            const { ran, passed } = summary(output)
            // A skip or todo in the child would escape CI's check for them: only every test passed counts.
            if (code !== 0 || ran === 0 || passed !== ran)
                throw new Error(
                    `E2E_BROWSER=firefox bun test ${file}: exit code ${code}, ${passed} of ${ran} tests passed:\n${output}`
                )
        },
        RUN_TIMEOUT_MS
    )
