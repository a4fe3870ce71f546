/**
 * Development only: the session secret kept in a git-ignored file, made on first start.
 * `bun run dev` restarts the server on every change; with a new random secret each time,
 * every browser's session cookie would be refused and its state left behind. Messages name
 * the file by its full path: a relative one depends on the folder the server started from.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

const DEVELOPMENT_SECRET_FILE = 'data/development-secret'

const code = (error: unknown) => (error as NodeJS.ErrnoException).code

const read = (path: string) => {
    try {
        return readFileSync(path, 'utf8').trim()
    } catch (error) {
        if (code(error) === 'ENOENT') return undefined
        throw error
    }
}

const create = (path: string) => {
    mkdirSync(dirname(path), { recursive: true })
    const secret = crypto.getRandomValues(Buffer.alloc(48)).toString('base64url')
    try {
        writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
        if (code(error) !== 'EEXIST') throw error
        // Another process starting at the same moment made it first: use theirs.
        const theirs = read(path)
        if (theirs) return theirs
        // Still being written, or left empty by a start that could not write it (a full disk), which
        // would otherwise give every later start a secret of its own without a word.
        console.warn(
            `${resolve(path)} is empty: this start uses a secret of its own, and sessions will not survive a restart. Delete the file if it stays empty.`
        )
        return secret
    }
    console.log(`Created ${resolve(path)}: the session secret for development (production needs SESSION_SECRET).`)
    return secret
}

/**
 * The secret in `path`, written there (readable by its owner only) when missing; two
 * processes starting at once agree. `undefined` when the file can be neither read nor
 * made (a read-only folder): a convenience of development must not stop it from starting,
 * so the plugin then uses a random secret, and says so.
 *
 * @example
 * const secret = config.secrets ?? (config.development ? developmentSecret() : undefined)
 */
export const developmentSecret = (path = DEVELOPMENT_SECRET_FILE): [string] | undefined => {
    try {
        return [read(path) || create(path)]
    } catch (error) {
        console.warn(`Cannot keep a development session secret in ${resolve(path)} (${code(error) ?? error}).`)
        return undefined
    }
}
