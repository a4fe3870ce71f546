/**
 * Stands in for `handleHTMXPageRequest` of `@absolutejs/absolute`, which the spec's HTMX
 * example imports and this project does not use: like it (0.17), it returns the built page's
 * file, not a `Response`, which the plugin must still give its cookie. The
 * spec's page is in `tests/e2e/fixtures/build/pages/`, verbatim but for htmx, which it
 * loads from its own origin (`/htmx.js`) instead of a CDN.
 *
 * @example
 * app.get('/app', () => handleHTMXPageRequest('./build/pages/counter.html'))
 */
import { join } from 'node:path'

const FIXTURES = join(import.meta.dir, '../e2e/fixtures')

export const handleHTMXPageRequest = (path: string) => Bun.file(join(FIXTURES, path))
