/**
 * The files the server sends as they are. Importing a file `with { type: 'file' }` gives
 * its path: the file in the project under `bun server/index.ts` and in tests, and its
 * copy inside the executable that `bun run build` makes, which embeds every file
 * imported this way. `Bun.file`, `node:fs` and `@elysiajs/static` read both.
 *
 * @example
 * app.get('/vendor/htmx.min.js', () => Bun.file(HTMX_FILE))
 */
import { readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import htmx from 'htmx.org/dist/htmx.min.js' with { type: 'file' }
import appScript from '../public/app.js' with { type: 'file' }
import favicon from '../public/favicon.svg' with { type: 'file' }
import styles from '../public/styles.css' with { type: 'file' }

/** Every file of `public/`: one missing here is served in development but not by the executable. */
export const PUBLIC_FILES = [appScript, favicon, styles]

/** The folder served at `/public`: `public/`, or its embedded copy in the executable. */
export const PUBLIC_DIR = dirname(styles)

export const HTMX_FILE = htmx

/**
 * The address of a file of `public/` with a hash of its content: browsers keep such files a
 * day, and a deploy that changes one changes its address, so no page gets the old one.
 */
const versioned = (file: string) => `/public/${basename(file)}?v=${Bun.hash(readFileSync(file)).toString(36)}`

export const STYLES_URL = versioned(styles)
export const APP_SCRIPT_URL = versioned(appScript)
