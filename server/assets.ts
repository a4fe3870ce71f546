/**
 * The files the server sends as they are. Importing a file `with { type: 'file' }` gives
 * its path: the file in the project under `bun server/index.ts` and in tests, and its
 * copy inside the executable that `bun run build` makes, which embeds every file
 * imported this way. `Bun.file`, `node:fs` and `@elysiajs/static` read both.
 *
 * @example
 * app.get(HTMX_URL, () => Bun.file(HTMX_FILE))
 */
import { readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import htmx from 'htmx.org/dist/htmx.min.js' with { type: 'file' }
import { version as htmxVersion } from 'htmx.org/package.json'
import appScript from '../public/app.js' with { type: 'file' }
import favicon from '../public/favicon.svg' with { type: 'file' }
import styles from '../public/styles.css' with { type: 'file' }

/** Every file of `public/`: one missing here is served in development but not by the executable. */
export const PUBLIC_FILES = [appScript, favicon, styles]

/** The folder served at `/public`: `public/`, or its embedded copy in the executable. */
export const PUBLIC_DIR = dirname(styles)

export const HTMX_FILE = htmx
/**
 * Where pages load htmx, kept a year by browsers: the installed version is in the address, so
 * that another version never goes out under an address a browser has kept.
 */
export const HTMX_URL = `/vendor/htmx-${htmxVersion}.min.js`

/** A file of `public/` that pages name with a hash of its content (`url`), so browsers may keep it for good. */
export interface VersionedAsset {
    file: string
    /** Its address without the version: `/public/styles.css`. */
    path: string
    version: string
    /** What pages link to: `/public/styles.css?v=<version>`. */
    url: string
}

const versioned = (file: string): VersionedAsset => {
    const path = `/public/${basename(file)}`
    const version = Bun.hash(readFileSync(file)).toString(36)
    return { file, path, version, url: `${path}?v=${version}` }
}

export const STYLES = versioned(styles)
export const APP_SCRIPT = versioned(appScript)
