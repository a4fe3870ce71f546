/** Entry point of `bun run start`: configuration from the environment, then listen. */
import './bun-version'
import { ScopedStateSetupError } from '../plugins/scoped-state'
import { createApp } from './app'
import { ConfigError, readConfig } from './config'
import { countedLog } from './counted-log'
import { developmentSecret } from './development-secret'
import { listen } from './listen'
import { liveReload } from './live-reload'
import { MEMORY_FULL, openStore, storeLabel } from './store'

const start = () => {
    const config = readConfig()
    const secret = config.secrets ?? (config.development ? developmentSecret() : undefined)
    const evictions = countedLog(console.warn, { one: 'session evicted', many: 'sessions evicted' })
    const store = openStore(config.store, () => evictions.report(MEMORY_FULL))
    const reload = config.liveReload ? liveReload() : undefined
    const app = createApp({
        state: { secret, production: config.production, store },
        accessLog: config.development ? console.log : undefined,
        hsts: config.production,
        liveReload: reload,
        allowedHosts: config.development ? config.allowedHosts : undefined
    })
    listen(app, config.port, config.hostname)
    // A wildcard address is not one to browse to; an IPv6 one is written in brackets.
    const url = new URL(String(app.server?.url))
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = 'localhost'
    // The mode too: a binary started without NODE_ENV runs in development (no secret needed).
    const mode = config.production ? 'production' : config.development ? 'development' : 'test'
    const address = config.basePath ? `${url.origin}${config.basePath}/` : url.origin
    console.log(`Listening on ${address} (${mode}; session state: ${storeLabel(config.store)})`)
    // A store over the network that does not answer (Redis not up, a wrong password) is said now,
    // not first at a user's request; the app runs all the same, since it may come up later. Not
    // a synchronous one: a file it cannot use stopped startup already, and its count of sessions
    // would hold the process (about 70 ms a million rows with SQLite).
    if (!store.synchronous)
        Promise.resolve()
            .then(() => store.stats())
            .catch((error: Error) =>
                console.warn(`The session store does not answer yet (${error.message}): requests that need it get 503.`)
            )

    // The Redis store's close then waits, up to its lease, for requests still holding a session
    // whose client went away (docs/stores.md#shutdown): shutdown may take that much longer.
    const drainSeconds = (store.lockLease ?? 0) / 1000
    const drainNote = drainSeconds > 0 ? `, then up to ${drainSeconds} s for requests whose client went away` : ''
    let stopping = false
    const shutdown = async (signal: NodeJS.Signals) => {
        // A second signal does not cut the first short: Ctrl-C reaches both `bun run start` and
        // the app, which `bun run` then sends it again, as does systemd's stop of the whole
        // group. Shutdown ends within the grace period (then the lease above) anyway; SIGKILL ends
        // it at once.
        if (stopping) return
        stopping = true
        console.log(
            `${signal}: stopping once requests in flight finish (at most ${config.shutdownGrace / 1000} s${drainNote}).`
        )
        // `app.stop()` lets requests in flight finish; past the grace period they are cut off.
        const cutOff = setTimeout(() => app.server?.stop(true), config.shutdownGrace)
        reload?.close()
        await app.stop()
        clearTimeout(cutOff)
        // The plugin began closing the store as the app stopped; this waits for it (Redis waits
        // for requests whose client went away, then unlocks what they hold).
        await store.close()
        evictions.stop()
        console.log('Stopped.')
        process.exit(0)
    }
    process.on('SIGINT', shutdown)
    process.on('SIGTERM', shutdown)
}

try {
    start()
} catch (error) {
    if (!(error instanceof ConfigError || error instanceof ScopedStateSetupError)) throw error
    console.error(error.message)
    // Not `process.exit`, which would end `bun run dev` too: its watcher then restarts the app
    // once the mistake is fixed, as it does after an error thrown at startup.
    process.exitCode = 1
}
