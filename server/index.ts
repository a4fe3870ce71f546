/** Entry point of `bun run start`: configuration from the environment, then listen. */
import { ScopedStateSetupError } from '../plugins/scoped-state'
import { createApp } from './app'
import { ConfigError, readConfig } from './config'
import { developmentSecret } from './development-secret'
import { openStore } from './store'

const start = () => {
    const config = readConfig()
    const secret = config.secrets ?? (config.development ? developmentSecret() : undefined)
    const app = createApp({
        state: { secret, production: config.production, store: openStore(config.store) },
        accessLog: config.development ? console.log : undefined
    })
    app.listen({ port: config.port, hostname: config.hostname })
    // A wildcard address is not one to browse to; an IPv6 one is written in brackets.
    const url = new URL(String(app.server?.url))
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = 'localhost'
    console.log(`Listening on ${url.origin}`)

    const shutdown = async () => {
        // Stops accepting connections, lets in-flight requests finish, then closes the store.
        await app.stop()
        process.exit(0)
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
}

try {
    start()
} catch (error) {
    if (!(error instanceof ConfigError || error instanceof ScopedStateSetupError)) throw error
    console.error(error.message)
    process.exit(1)
}
