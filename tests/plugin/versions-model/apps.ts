/**
 * The app of the versions model test at its three setup versions, each with the same routes:
 * - version 1: `count` (page), `name`, `tags` as one comma-separated string, `legacy`;
 * - version 2: `count` renamed `clicks`, `name` renamed `title`, `tags` a list, `legacy`
 *   removed, `theme` added; its migrate throws on a name starting with `!` (a saved shape
 *   it cannot read);
 * - version 3: `tags` a list of `{ name }`, `note` added, which migrate fills, for a title
 *   `max`, past `maxStateBytes`.
 * A route whose key this version lacks answers without touching state.
 */
import { Elysia } from 'elysia'
import { type Store, scopedState } from '../../../plugins/scoped-state'
import { SECRET } from '../../helpers/plugin-app'

export const MAX_BYTES = 1_024
/** What version 3's migrate writes into `note` for a title `max`: past `MAX_BYTES` by itself. */
export const BLOAT = 'x'.repeat(1_500)
/** Tags kept: the last three. All tags and names have three characters, so a change of one keeps the size. */
export const TAGS_KEPT = 3
export const TAGS = ['red', 'tea'] as const
export const NAMES = ['ann', 'max', '!ex'] as const
export type Version = 1 | 2 | 3

type Saved = Record<string, unknown>

/** Version 1's keys in version 2's shape; throws on a name it cannot read. */
const fromOne = (saved: Saved) => {
    const out: { title?: string; tags?: string[]; clicks?: number } = {}
    if (typeof saved.name === 'string') {
        if (saved.name.startsWith('!')) throw new Error(`cannot read the name ${saved.name}`)
        out.title = saved.name
    }
    if (typeof saved.tags === 'string') out.tags = saved.tags === '' ? [] : saved.tags.split(',')
    if (typeof saved.count === 'number') out.clicks = saved.count
    return out
}

const migrateToTwo = (saved: Saved, from: number) => (from < 2 ? fromOne(saved) : {})

const migrateToThree = (saved: Saved, from: number) => {
    const two = from < 2 ? fromOne(saved) : { title: saved.title, tags: saved.tags }
    const out: { title?: string; tags?: { name: string }[]; clicks?: number; note?: string } = {}
    if (typeof two.title === 'string') out.title = two.title
    if (Array.isArray(two.tags)) out.tags = two.tags.map((name: string) => ({ name }))
    if ('clicks' in two) out.clicks = two.clicks
    // `note` is preserved: returned from a page scope's call too, it is dropped there.
    out.note = two.title === 'max' ? BLOAT : ''
    return out
}

const keep = <T>(list: T[], item: T) => [...list, item].slice(-TAGS_KEPT)

/** The routes every version has: none reads state. */
const page = ({ scopedPageId }: { scopedPageId: string }) => scopedPageId
const startOver = ({ resetScopedStore }: { resetScopedStore: (all: boolean) => void }) => {
    resetScopedStore(true)
    return 'started over'
}
const logout = ({ destroyScopedSession }: { destroyScopedSession: () => void }) => {
    destroyScopedSession()
    return 'signed out'
}
const login = ({ regenerateScopedSession }: { regenerateScopedSession: () => void }) => {
    regenerateScopedSession()
    return 'signed in'
}

const options = (store: Store, serializeRequests: boolean) => ({
    secret: SECRET,
    store,
    maxStateBytes: MAX_BYTES,
    serializeRequests
})

const one = (store: Store, serialize: boolean) =>
    new Elysia()
        .use(
            scopedState(
                {
                    count: { value: 0 },
                    name: { value: '', preserve: true },
                    tags: { value: '', preserve: true },
                    legacy: { value: 0, preserve: true }
                },
                options(store, serialize)
            )
        )
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
        .post('/inc', ({ scopedStore }) => ++scopedStore.count)
        .post('/tag/:tag', ({ scopedStore, params }) => {
            scopedStore.tags = keep(scopedStore.tags === '' ? [] : scopedStore.tags.split(','), params.tag).join(',')
            return scopedStore.tags
        })
        .post('/name/:name', ({ scopedStore, params }) => (scopedStore.name = params.name))
        .post('/legacy', ({ scopedStore }) => ++scopedStore.legacy)
        .post('/clear', () => 'none')
        .get('/page', page)
        .post('/start-over', startOver)
        .post('/logout', logout)
        .post('/login', login)

const twoSetup = {
    clicks: { value: 0 },
    title: { value: '', preserve: true },
    tags: { value: [] as string[], preserve: true },
    theme: { value: 'light', preserve: true }
}

const two = (store: Store, serialize: boolean) =>
    new Elysia()
        .use(scopedState(twoSetup, { ...options(store, serialize), version: 2, migrate: migrateToTwo }))
        .get('/state', ({ scopedStore }) => ({ ...scopedStore }))
        .post('/inc', ({ scopedStore }) => ++scopedStore.clicks)
        .post('/tag/:tag', ({ scopedStore, params }) => (scopedStore.tags = keep(scopedStore.tags, params.tag)))
        .post('/name/:name', ({ scopedStore, params }) => (scopedStore.title = params.name))
        .post('/legacy', () => 'gone')
        .post('/clear', () => 'none')
        .get('/page', page)
        .post('/start-over', startOver)
        .post('/logout', logout)
        .post('/login', login)

const threeSetup = {
    clicks: { value: 0 },
    title: { value: '', preserve: true },
    tags: { value: [] as { name: string }[], preserve: true },
    theme: { value: 'light', preserve: true },
    note: { value: '', preserve: true }
}

const three = (store: Store, serialize: boolean) =>
    new Elysia()
        .use(scopedState(threeSetup, { ...options(store, serialize), version: 3, migrate: migrateToThree }))
        // The note by its length: a bloated one is long.
        .get('/state', ({ scopedStore }) => ({ ...scopedStore, note: scopedStore.note.length }))
        .post('/inc', ({ scopedStore }) => ++scopedStore.clicks)
        .post('/tag/:tag', ({ scopedStore, params }) => {
            scopedStore.tags = keep(scopedStore.tags, { name: params.tag })
            return scopedStore.tags
        })
        .post('/name/:name', ({ scopedStore, params }) => (scopedStore.title = params.name))
        .post('/legacy', () => 'gone')
        .post('/clear', ({ scopedStore }) => (scopedStore.note = ''))
        .get('/page', page)
        .post('/start-over', startOver)
        .post('/logout', logout)
        .post('/login', login)

type Handler = { handle(request: Request): Promise<Response> }

/** The app at `version` on `store`; `serialize` puts it on the locking path. */
export const appAt = (version: Version, store: Store, serialize: boolean): Handler =>
    version === 1 ? one(store, serialize) : version === 2 ? two(store, serialize) : three(store, serialize)
