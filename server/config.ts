/**
 * The app's configuration, read once from the environment. An invalid value stops
 * startup with a message that names the variable.
 */
import { isIP } from 'node:net'
import { BASE_PATH_FORM } from './base-path'

export interface Config {
    port: number
    hostname: string
    production: boolean
    /**
     * NODE_ENV is development (the default): turns on the access log, and, without `SESSION_SECRET`,
     * the secret kept in `data/development-secret` (`server/development-secret.ts`).
     */
    development: boolean
    /** Secrets that sign session ids; the first signs. */
    secrets: string[] | undefined
    /** Where session state lives (`SCOPED_STATE_STORE`). */
    store: StoreSetting
    /** Milliseconds shutdown waits for requests in flight (`SHUTDOWN_GRACE_SECONDS`). */
    shutdownGrace: number
    /** Open pages reload when the server restarts (`LIVE_RELOAD=1`, which `bun run dev` sets). */
    liveReload: boolean
    /** The path the app is served under (`BASE_PATH`, `server/base-path.ts`); `''` at the root. */
    basePath: string
    /** Host names the development server answers besides localhost and IP addresses (`ALLOWED_HOSTS`, `server/dev-hosts.ts`). */
    allowedHosts: string[]
}

export type StoreSetting = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string }

export class ConfigError extends Error {
    override name = 'ConfigError'
}

const port = (value: string | undefined) => {
    if (value === undefined || value === '') return 3000
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535)
        throw new ConfigError(`PORT must be an integer from 0 to 65535, got '${value}'.`)
    return parsed
}

const hostname = (value: string | undefined) => {
    if (value === undefined || value === '') return '0.0.0.0'
    if (isIP(value) || /^[a-z\d-]+(\.[a-z\d-]+)*$/i.test(value)) return value
    throw new ConfigError(
        `HOST must be a host name or an IP address such as 127.0.0.1 or ::1, without scheme or port, got '${value}'.`
    )
}

/**
 * Under the orchestrator's own grace period (30 s in Kubernetes, 10 s for `docker stop`), which
 * ends the process however far shutdown got: the store may take its own time to close after.
 */
const shutdownGrace = (value: string | undefined) => {
    if (value === undefined || value === '') return 10_000
    const seconds = Number(value)
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3_600)
        throw new ConfigError(
            `SHUTDOWN_GRACE_SECONDS must be a whole number of seconds from 0 to 3600, got '${value}'.`
        )
    return seconds * 1000
}

/** The plugin's least in production, checked here too so that the message names the variable. */
const MIN_SECRET_BYTES = 32

// Comma-separated: put a new secret first to rotate, keep the old one after it.
const secrets = (value: string | undefined, production: boolean) => {
    if (value === undefined || value === '') return undefined
    const list = value.split(',')
    if (list.includes(''))
        throw new ConfigError(
            'SESSION_SECRET must be a secret or a comma-separated list of secrets, with no empty entry.'
        )
    const short = list.findIndex((secret) => Buffer.byteLength(secret) < MIN_SECRET_BYTES)
    if (production && short !== -1)
        throw new ConfigError(
            `SESSION_SECRET: secret #${short + 1} is shorter than ${MIN_SECRET_BYTES} bytes; production needs at least ${MIN_SECRET_BYTES} random bytes each.`
        )
    return list
}

const STORE_FORMS = "'memory', 'sqlite:<file path>' or 'redis://host:port[/db]'"

/**
 * `value` as a startup error names it, which deploy logs keep: whatever comes before its last
 * `@` (after `scheme://`, if any) may be a password, and is hidden.
 */
const shownStore = (value: string) => {
    const credentials = /^(.*?:\/\/)?(.*)@/s.exec(value)
    if (!credentials) return `'${value}'`
    const [hidden, scheme = '', secret = ''] = credentials
    const hint = /[/#?@]/.test(secret) ? ' (percent-encode / # ? @ in a user name or password)' : ''
    return `'${scheme}…@${value.slice(hidden.length)}'${hint}`
}

/** The file path of `sqlite:<path>`, refused where it would name another file than the operator meant. */
const sqlitePath = (path: string) => {
    // An env file or a unit file keeps `~` as it is: it would make a directory named `~`.
    if (path.startsWith('~'))
        throw new ConfigError(
            `SCOPED_STATE_STORE: only a shell reads '~' as the home directory, got 'sqlite:${path}': write the full path.`
        )
    // bun:sqlite takes it as a file name: a directory `file:` and a file named with the query.
    if (path.startsWith('file:'))
        throw new ConfigError(`SCOPED_STATE_STORE: 'sqlite:' takes a file path, not a URI, got 'sqlite:${path}'.`)
    return path
}

const store = (value: string | undefined): StoreSetting => {
    if (value === undefined || value === '' || value === 'memory') return { kind: 'memory' }
    if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length)
        return { kind: 'sqlite', path: sqlitePath(value.slice(7)) }
    // A fragment is no part of a Redis URL: there, a `#` is the start of a password not percent-encoded.
    if (/^rediss?:\/\//.test(value) && URL.canParse(value) && new URL(value).hostname && !new URL(value).hash)
        return { kind: 'redis', url: value }
    throw new ConfigError(`SCOPED_STATE_STORE must be ${STORE_FORMS}, got ${shownStore(value)}.`)
}

// Not in production: it adds a script to every page and an open connection per tab.
const liveReload = (value: string | undefined, production: boolean) => {
    if (value === undefined || value === '' || value === '0') return false
    if (value !== '1') throw new ConfigError(`LIVE_RELOAD must be 1 or 0, got '${value}'.`)
    if (production) throw new ConfigError('LIVE_RELOAD=1 is for development: unset it when NODE_ENV is production.')
    return true
}

/** Host names, lower case; `.example.test` takes its subdomains too. */
const allowedHosts = (value: string | undefined) =>
    (value ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean)
        .map((name) => {
            if (/^\.?[a-z\d-]+(\.[a-z\d-]+)*$/.test(name)) return name
            throw new ConfigError(
                `ALLOWED_HOSTS must be host names separated by commas (a leading dot takes subdomains too), got '${name}'.`
            )
        })

// Checked here for its message; `server/base-path.ts` reads it for the views, which cannot wait for this.
const basePath = (value: string | undefined) => {
    if (value === undefined || value === '') return ''
    if (BASE_PATH_FORM.test(value)) return value
    throw new ConfigError(
        `BASE_PATH must be a path such as /shop, without a trailing slash or characters to percent-encode, got '${value}'.`
    )
}

export const readConfig = (env: Record<string, string | undefined> = process.env): Config => {
    const nodeEnv = env.NODE_ENV || 'development'
    if (!['development', 'production', 'test'].includes(nodeEnv))
        throw new ConfigError(`NODE_ENV must be development, production or test, got '${nodeEnv}'.`)
    const production = nodeEnv === 'production'
    if (production && !env.SESSION_SECRET)
        throw new ConfigError('NODE_ENV=production requires SESSION_SECRET: at least 32 random bytes.')
    return {
        port: port(env.PORT),
        hostname: hostname(env.HOST),
        production,
        development: nodeEnv === 'development',
        secrets: secrets(env.SESSION_SECRET, production),
        store: store(env.SCOPED_STATE_STORE),
        shutdownGrace: shutdownGrace(env.SHUTDOWN_GRACE_SECONDS),
        liveReload: liveReload(env.LIVE_RELOAD, production),
        basePath: basePath(env.BASE_PATH),
        allowedHosts: allowedHosts(env.ALLOWED_HOSTS)
    }
}
