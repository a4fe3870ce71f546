/**
 * What each kind of model-test run serves its requests with: the store (or, on Redis, one store
 * object per app instance, as in separate processes), each behind the wrapper that fails its
 * calls on cue, and the apps built on them.
 */
import { RedisClient } from 'bun'
import { memoryStore, redisStore, type Store, sqliteStore } from '../../../plugins/scoped-state'
import { asynchronous } from '../../helpers/asynchronous-store'
import { makeApp, type StoreKind } from './app'
import { faulty, type Tap } from './faults'

/** The redis-server the Redis kinds run on (`useRedis()` of the test file). */
let redisServer: (() => { url: string }) | undefined
export const onRedis = (server: () => { url: string }) => {
    redisServer = server
}

/** Sets each mark (KEYS) to Redis's time less its age (ARGV, ms), keeping its expiry. */
const AGE_MARKS = `
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
for i, key in ipairs(KEYS) do redis.call('SET', key, now - tonumber(ARGV[i]), 'KEEPTTL') end`

/** Kinds whose store is Redis: its records, locks and ended marks shared by every instance. */
export const onRedisKinds = (kind: StoreKind) => kind === 'redis' || kind === 'redisPair'
/** Kinds whose store is a SQLite file, which keeps its records and ended marks across restarts. */
export const onSqliteKinds = (kind: StoreKind) => kind === 'sqlite' || kind === 'sqlitePair'
/** Kinds of two app instances, each with its own store object on one backend, as two processes. */
export const pairKinds = (kind: StoreKind) => kind === 'redisPair' || kind === 'sqlitePair'

/** One app instance: its store object (behind its fault wrapper) and the app on it. */
interface Instance {
    tap: Tap
    store: Store
    app: ReturnType<typeof makeApp>
}

/**
 * Opens `kind`'s stores and apps: one instance, or two (`pairKinds`: two processes behind a load
 * balancer, each with its own store object on the one file, or the one Redis server and prefix). `path`: the
 * SQLite file. `restart` starts the instances anew, with the secrets now given: the SQLite file
 * and the Redis store objects are opened again, as after a restart of the processes.
 */
export const openSetup = (kind: StoreKind, path: string, now: () => number, secrets: () => string[]) => {
    const prefix = `model-${crypto.randomUUID()}:`
    const open = (): Store => {
        if (onSqliteKinds(kind)) return sqliteStore({ path, now })
        if (!onRedisKinds(kind)) return memoryStore({ now })
        if (!redisServer) throw new Error('no redis-server: call onRedis(useRedis()) first')
        return redisStore({ url: redisServer().url, prefix })
    }
    const instance = (tap: Tap, store: Store): Instance => ({
        tap,
        store,
        app: makeApp(secrets(), store, now, kind === 'serialized')
    })
    const fresh = () =>
        Array.from({ length: pairKinds(kind) ? 2 : 1 }, () => {
            const tap = faulty(open())
            return instance(tap, kind === 'asynchronous' ? asynchronous(tap.store) : tap.store)
        })
    let instances = fresh()
    const reopens = onSqliteKinds(kind) || onRedisKinds(kind)
    // To age Redis's ended marks as the injected clock moves (`ageMarks`).
    const admin = onRedisKinds(kind) ? new RedisClient(redisServer?.().url) : undefined
    const close = () => Promise.all(instances.map(({ store }) => store.close()))
    return {
        /** The instance that serves a request: the second only in `pairKinds`. */
        at: (nth: number) => instances[nth % instances.length] as Instance,
        async restart() {
            if (!reopens) {
                // The same store object: the instances given it share its ended ids.
                instances = instances.map(({ tap, store }) => instance(tap, store))
                return
            }
            await close()
            instances = fresh()
        },
        /** Sets the time in Redis's ended marks so that Redis finds each as old as given (ms), by its own clock. */
        async ageMarks(ages: [string, number][]) {
            if (!admin || ages.length === 0) return
            const keys = ages.map(([id]) => `${prefix}ended:${id}`)
            await admin.send('EVAL', [AGE_MARKS, String(keys.length), ...keys, ...ages.map(([, age]) => String(age))])
        },
        async close() {
            await close()
            admin?.close()
        }
    }
}
