/**
 * A small app around the plugin, with routes that read and write each kind of key.
 *
 * @example
 * const app = stateApp({ now: clock.now })
 */
import { Elysia } from 'elysia'
import { type ScopedStateOptions, scopedState } from '../../plugins/scoped-state'

export const SECRET = 'a-test-secret-of-at-least-32-bytes!!'

const setup = {
    count: { value: 0 },
    tags: { value: [] as string[] },
    theme: { value: 'light', preserve: true },
    cart: { value: { items: [] as string[] }, preserve: true }
}

export const stateApp = (options: ScopedStateOptions<typeof setup> = {}) =>
    new Elysia()
        .use(scopedState(setup, { secret: SECRET, ...options }))
        .get('/count', ({ scopedStore }) => scopedStore.count)
        .post('/increment', ({ scopedStore }) => ++scopedStore.count)
        .post('/tag/:tag', ({ scopedStore, params }) => {
            scopedStore.tags.push(params.tag)
            return scopedStore.tags.join(',')
        })
        .get('/tags', ({ scopedStore }) => scopedStore.tags.join(','))
        .post('/cart/:item', ({ scopedStore, params }) => {
            scopedStore.cart.items.push(params.item)
            return scopedStore.cart.items.join(',')
        })
        .get('/cart', ({ scopedStore }) => scopedStore.cart.items.join(','))
        .post('/theme/:theme', ({ scopedStore, params }) => {
            scopedStore.theme = params.theme
            return scopedStore.theme
        })
        .get('/state', ({ scopedStore, scopedPageId }) => ({ ...scopedStore, page: scopedPageId }))
        .post('/reset', ({ resetScopedStore }) => {
            resetScopedStore()
            return 'reset'
        })
        .post('/full-reset', ({ resetScopedStore }) => {
            resetScopedStore(true)
            return 'full reset'
        })
        .post('/login', ({ regenerateScopedSession }) => {
            regenerateScopedSession()
            return 'regenerated'
        })
        .post('/logout', ({ destroyScopedSession }) => {
            destroyScopedSession()
            return 'destroyed'
        })

/** The test app plus `/slow-increment`, whose handler reads `count`, awaits `ms`, then writes it plus one. */
export const slowIncrementApp = (options: ScopedStateOptions<typeof setup>, ms: number) =>
    stateApp(options).post('/slow-increment', async ({ scopedStore }) => {
        const seen = scopedStore.count
        await Bun.sleep(ms)
        scopedStore.count = seen + 1
        return scopedStore.count
    })

/** The test app plus `/stuck`, whose handler waits for `stuck.resolve()`, then writes `count`: a request that overstays. */
export const stuckApp = (options: ScopedStateOptions<typeof setup>) => {
    const stuck = Promise.withResolvers<void>()
    const app = stateApp(options).post('/stuck', async ({ scopedStore }) => {
        await stuck.promise
        scopedStore.count = 99
        return 'late'
    })
    return { app, stuck }
}

/** A clock tests move by hand. */
export const manualClock = (start = Date.UTC(2026, 0, 1)) => {
    let time = start
    return {
        now: () => time,
        advance: (seconds: number) => {
            time += seconds * 1000
        }
    }
}
