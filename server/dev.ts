/**
 * Entry point of `bun run dev`, which restarts the server on every change: state is kept
 * in a SQLite file unless `SCOPED_STATE_STORE` names another store, so a restart does not
 * empty anyone's cart, and open pages reload after each restart unless `LIVE_RELOAD=0`.
 * Set here rather than in the package.json script, whose shell syntax for a default value
 * Bun's own shell (Windows) does not have.
 */
process.env.SCOPED_STATE_STORE ??= 'sqlite:./data/dev.db'
// Not under NODE_ENV=production, which refuses it (an image's ENV, say): the app starts as before.
if (process.env.NODE_ENV !== 'production') process.env.LIVE_RELOAD ??= '1'
// Imported after the lines above: a static import would run first.
await import('./index')

export {}
