/**
 * Development only: the session secret kept in a git-ignored file, made on first start.
 * `bun run dev` restarts the server on every change; with a new random secret each time,
 * every browser's session cookie would be refused and its state left behind.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

const DEVELOPMENT_SECRET_FILE = 'data/development-secret'

const read = (path: string) => {
    try {
        return readFileSync(path, 'utf8').trim()
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
    }
}

/**
 * The secret in `path`, written there (readable by its owner only) when missing. Two
 * processes starting at once agree: the file is created exclusively, and the loser reads it.
 *
 * @example
 * const secret = config.secrets ?? (config.development ? [developmentSecret()] : undefined)
 */
export const developmentSecret = (path = DEVELOPMENT_SECRET_FILE): string => {
    const existing = read(path)
    if (existing) return existing
    mkdirSync(dirname(path), { recursive: true })
    const secret = crypto.getRandomValues(Buffer.alloc(48)).toString('base64url')
    try {
        writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        return read(path) || secret
    }
    console.log(`Created ${path}: the session secret for development (production needs SESSION_SECRET).`)
    return secret
}
