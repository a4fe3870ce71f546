/**
 * Entry point of `bun run dev`, which restarts the server on every change: state is kept
 * in a SQLite file unless `SCOPED_STATE_STORE` names another store, so a restart does not
 * empty anyone's cart. Set here rather than in the package.json script, whose shell syntax
 * for a default value Bun's own shell (Windows) does not have.
 */
process.env.SCOPED_STATE_STORE ??= 'sqlite:./data/dev.db'
// Imported after the line above: a static import would run first.
await import('./index')

export {}
