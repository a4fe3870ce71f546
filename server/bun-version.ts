/**
 * Stops at once, saying why, on a Bun older than package.json's `engines.bun`: an older one
 * mostly runs the app, then fails in ways that do not point here (no Redis client, a
 * lockfile it cannot read, an executable that cannot find its files). Imported first by the
 * entry points, and preloaded by `bun test` (bunfig.toml).
 */
import { engines } from '../package.json'

if (!Bun.semver.satisfies(Bun.version, engines.bun)) {
    console.error(`This project needs Bun ${engines.bun}; this is Bun ${Bun.version}. Run \`bun upgrade\`.`)
    process.exit(1)
}
