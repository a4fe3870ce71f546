/**
 * The apps the benchmark compares, by name. The SQLite and Redis stores are loaded
 * at run time, so the benchmark still runs where they are not present.
 */
import type { Elysia } from 'elysia'
import { memoryStore, type SqliteStoreOptions, type Store } from '../../plugins/scoped-state'
import { bareApp } from './bare'
import { minimalApp } from './minimal'
import { scopedApp } from './scoped'

export const VARIANTS = ['bare', 'minimal', 'memory', 'sqlite', 'sqlite-exclusive', 'sqlite-full', 'redis'] as const
export type Variant = (typeof VARIANTS)[number]

/** What a variant needs from the runner: a database file, a Redis URL. */
export interface VariantOptions {
    sqlitePath?: string
    redisUrl?: string
    redisPrefix?: string
}

export const LABELS: Record<Variant, string> = {
    bare: 'bare Elysia (ceiling)',
    minimal: 'minimal derive: Cookie header + Map (reference)',
    memory: 'scoped-state, memory store',
    sqlite: 'scoped-state, SQLite store',
    'sqlite-exclusive': 'scoped-state, SQLite store, exclusive: true',
    'sqlite-full': "scoped-state, SQLite store, synchronous: 'full'",
    redis: 'scoped-state, Redis store'
}

/** The SQLite variants: one store, run with each of these options. */
const SQLITE_OPTIONS: Partial<Record<Variant, Omit<SqliteStoreOptions, 'path'>>> = {
    sqlite: {},
    'sqlite-exclusive': { exclusive: true },
    'sqlite-full': { synchronous: 'full' }
}

const storeModule = (variant: Variant) =>
    SQLITE_OPTIONS[variant]
        ? '../../plugins/scoped-state/stores/sqlite'
        : variant === 'redis'
          ? '../../plugins/scoped-state/stores/redis'
          : undefined

/** Why `variant` cannot run here, or `undefined` when it can. */
export const unavailable = async (variant: Variant): Promise<string | undefined> => {
    const path = storeModule(variant)
    if (!path) return undefined
    try {
        await import(path)
        return undefined
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        return /cannot find module|not found/i.test(message) ? 'not present' : `failed to load: ${message}`
    }
}

const openStore = async (variant: Variant, options: VariantOptions): Promise<Store> => {
    if (variant === 'memory') return memoryStore({ maxSessions: 1_000_000 })
    const module = await import(storeModule(variant) as string)
    const sqlite = SQLITE_OPTIONS[variant]
    if (sqlite) return module.sqliteStore({ path: options.sqlitePath, ...sqlite })
    return module.redisStore({ url: options.redisUrl, prefix: options.redisPrefix })
}

/** The app of `variant`, not listening yet. */
export const createVariant = async (variant: Variant, options: VariantOptions = {}): Promise<Elysia> =>
    (variant === 'bare'
        ? bareApp()
        : variant === 'minimal'
          ? minimalApp()
          : scopedApp(await openStore(variant, options))) as unknown as Elysia
