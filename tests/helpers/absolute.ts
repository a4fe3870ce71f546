/**
 * Stands in for `handleHTMXPageRequest` of `@absolutejs/absolute`, which the spec's HTMX
 * example imports and this project does not use: it serves a built page as HTML. The
 * spec's page is in `tests/e2e/fixtures/build/pages/`, verbatim but for htmx, which it
 * loads from its own origin (`/htmx.js`) instead of a CDN.
 *
 * @example
 * app.get('/app', () => handleHTMXPageRequest('./build/pages/counter.html'))
 */
import { join } from 'node:path'

const FIXTURES = join(import.meta.dir, '../e2e/fixtures')

export const handleHTMXPageRequest = (path: string) =>
    new Response(Bun.file(join(FIXTURES, path)), { headers: { 'content-type': 'text/html; charset=utf-8' } })
