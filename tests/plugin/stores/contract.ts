/**
 * The behaviour every store must have, as one suite run against each store: the
 * memory, SQLite and Redis test files call `storeContract` with a factory.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import {
    type EndedSession,
    SESSION_ENDED,
    SessionEndedError,
    type Store,
    StoreUnavailableError
} from '../../../plugins/scoped-state'
import { client } from '../../helpers/client'
import { stateApp } from '../../helpers/plugin-app'

/** What `load` answers for a deleted session: nothing, or, from a store shared by several processes, that it ended (and when). */
const gone = (answer: unknown) =>
    answer === undefined ||
    answer === SESSION_ENDED ||
    typeof (answer as EndedSession | null)?.[SESSION_ENDED] === 'number'

export interface ContractOptions {
    /**
     * Makes a fresh, empty store (e.g. a new file or a unique Redis prefix). The suite makes a few
     * dozen and closes them when it ends: give a store over a database a small pool (Postgres
     * refused connections past its 100 with a pool of 10 each).
     */
    create: () => Store
    /** `test`, or a variant that skips when the store's server is missing. */
    test?: typeof test
    /**
     * For a store shared by several processes: two fresh store objects on one backend (one
     * file, one prefix), as two processes open it. Checks the lock and the ended mark.
     */
    shared?: () => [Store, Store]
    /**
     * For a shared store: two fresh store objects on one backend, as `shared`, whose lock lapses
     * soon (`lockLease` of a few hundred milliseconds). Checks that a lock held past its lease
     * (its process died) keeps the session no longer; the suite waits out that lease.
     */
    shortLease?: () => [Store, Store]
    /**
     * The store has the optional `peek`: checks it too. (Without it, `peekScopedSession` throws:
     * peek-session.test.ts.)
     */
    peek?: boolean
    /** The store has the optional `atomically` (a synchronous one shared without a lock): checks it too. */
    atomically?: boolean
}

const DAY = 86_400_000
const ids = (() => {
    let next = 0
    return () => `contract-${++next}-${crypto.randomUUID()}`
})()

/** Counts the store calls the plugin makes. */
const counting = (store: Store) => {
    const calls = { load: 0, save: 0, release: 0, delete: 0 }
    const counted: Store = {
        // Kept, so the plugin takes the same path as with the store itself.
        synchronous: store.synchronous,
        load(id, ttl) {
            calls.load++
            return store.load(id, ttl)
        },
        save(id, record, ttl, from) {
            calls.save++
            return store.save(id, record, ttl, from)
        },
        release(id) {
            calls.release++
            return store.release(id)
        },
        delete(id, ttl, ago) {
            calls.delete++
            return store.delete(id, ttl, ago)
        },
        stats: () => store.stats(),
        close: () => store.close()
    }
    return { store: counted, calls }
}

export const storeContract = (name: string, options: ContractOptions) => {
    const it = options.test ?? test
    const stores: Store[] = []
    const make = () => {
        const store = options.create()
        stores.push(store)
        return store
    }

    describe(`${name} store contract`, () => {
        afterAll(async () => {
            for (const store of stores) await store.close()
        })

        it('an unknown id loads as undefined and can be released', async () => {
            const store = make()
            const id = ids()
            expect(await store.load(id, DAY)).toBeUndefined()
            await store.release(id)
        })

        it('a saved record loads back byte for byte', async () => {
            const store = make()
            const id = ids()
            const record = JSON.stringify({ s: { name: 'Zoë "quoted" \\ 😀 \u2028' }, p: { _: { n: 1.5 } } })
            await store.load(id, DAY)
            await store.save(id, record, DAY)
            expect(await store.load(id, DAY)).toBe(record)
            await store.release(id)
        })

        it('a save replaces the previous record', async () => {
            const store = make()
            const id = ids()
            await store.save(id, '{"v":1}', DAY)
            await store.load(id, DAY)
            await store.save(id, '{"v":2}', DAY)
            expect(await store.load(id, DAY)).toBe('{"v":2}')
            await store.release(id)
        })

        it('delete removes the record', async () => {
            const store = make()
            const id = ids()
            await store.save(id, '{"v":1}', DAY)
            await store.load(id, DAY)
            await store.delete(id)
            await store.release(id)
            expect(gone(await store.load(id, DAY))).toBe(true)
            await store.release(id)
        })

        it('deleting an id that holds no record is no error (a logout of a session that never wrote)', async () => {
            const store = make()
            const id = ids()
            await store.delete(id)
            expect(gone(await store.load(id, DAY))).toBe(true)
            await store.release(id)
        })

        it('sessions are independent', async () => {
            const store = make()
            const [a, b] = [ids(), ids()]
            await store.save(a, '"a"', DAY)
            await store.save(b, '"b"', DAY)
            await store.delete(a)
            expect(gone(await store.load(a, DAY))).toBe(true)
            await store.release(a)
            expect(await store.load(b, DAY)).toBe('"b"')
            await store.release(b)
        })

        // The two tests that wait for time to pass, at once: each has its own store and ids.
        it.concurrent('a record expires after its ttl', async () => {
            const store = make()
            const id = ids()
            await store.save(id, '{"v":1}', 100)
            await Bun.sleep(400)
            expect(await store.load(id, DAY)).toBeUndefined()
            await store.release(id)
        })

        it.concurrent('a load extends the life of a record to the ttl it is given', async () => {
            const store = make()
            const id = ids()
            await store.save(id, '{"v":1}', 1_000)
            await Bun.sleep(600)
            expect(await store.load(id, 1_000)).toBe('{"v":1}')
            await store.release(id)
            await Bun.sleep(600)
            expect(await store.load(id, 1_000)).toBe('{"v":1}')
            await store.release(id)
        })

        it('keeps a record for a ttl past 2^31 ms (an idleTimeout of 25 days or more)', async () => {
            const store = make()
            const id = ids()
            // The default absoluteTimeout, which an app may give idleTimeout too.
            const thirtyDays = 30 * DAY
            await store.save(id, '{"v":1}', thirtyDays)
            // A timer given it waits 1 ms instead (setTimeout's 32-bit limit): let such a timer fire.
            await Bun.sleep(10)
            expect(await store.load(id, thirtyDays)).toBe('{"v":1}')
            await store.release(id)
        })

        it('stats counts the sessions it holds', async () => {
            const store = make()
            const before = (await store.stats()).sessions
            await store.save(ids(), '{}', DAY)
            await store.save(ids(), '{}', DAY)
            expect((await store.stats()).sessions).toBe(before + 2)
        })

        if (options.atomically)
            it('atomically commits the calls it runs and answers their answer; when they throw, undoes them all and throws that', () => {
                const store = make()
                const [id, other] = [ids(), ids()]
                store.save(id, '{"v":1}', DAY)
                store.save(other, '{"v":1}', DAY)
                const answer = store.atomically?.(() => {
                    expect(store.load(id, DAY)).toBe('{"v":1}')
                    store.save(id, '{"v":2}', DAY)
                    store.delete(other, DAY)
                    return 'committed'
                })
                expect([answer, store.load(id, DAY), gone(store.load(other, DAY))]).toEqual([
                    'committed',
                    '{"v":2}',
                    true
                ])
                const broken = new RangeError('the handler broke a rule')
                const fresh = ids()
                expect(() =>
                    store.atomically?.(() => {
                        store.save(id, '{"v":3}', DAY)
                        store.save(fresh, '{"v":3}', DAY)
                        store.delete(id, DAY)
                        throw broken
                    })
                ).toThrow(broken)
                expect([store.load(id, DAY), store.load(fresh, DAY)]).toEqual(['{"v":2}', undefined])
            })

        if (options.peek)
            describe('peek, a read that is no use of the session', () => {
                const peekOf = (store: Store, id: string) => (store.peek as NonNullable<Store['peek']>)(id)

                it('answers a saved record byte for byte, and undefined for an unknown or deleted id', async () => {
                    const store = make()
                    const [id, unknown] = [ids(), ids()]
                    const record = JSON.stringify({ s: { name: 'Zoë \u2028 😀' }, p: {} })
                    await store.save(id, record, DAY)
                    expect(await peekOf(store, id)).toBe(record)
                    expect(await peekOf(store, unknown)).toBeUndefined()
                    await store.delete(id)
                    expect(await peekOf(store, id)).toBeUndefined()
                })

                it.concurrent('extends no life: a record peeked at expires when its ttl says', async () => {
                    const store = make()
                    const id = ids()
                    await store.save(id, '{"v":1}', 1_000)
                    await Bun.sleep(600)
                    expect(await peekOf(store, id)).toBe('{"v":1}')
                    await Bun.sleep(600)
                    expect(await peekOf(store, id)).toBeUndefined()
                    expect(await store.load(id, DAY)).toBeUndefined()
                    await store.release(id)
                })

                it('waits for no lock: a request of the session holding it goes on, and saves', async () => {
                    const store = make()
                    const id = ids()
                    await store.save(id, '{"n":1}', DAY)
                    expect(await store.load(id, DAY)).toBe('{"n":1}')
                    expect(await peekOf(store, id)).toBe('{"n":1}')
                    await store.save(id, '{"n":2}', DAY)
                    expect(await peekOf(store, id)).toBe('{"n":2}')
                })
            })

        it('closes more than once: by each plugin instance given it, then by the app', async () => {
            const store = options.create()
            await store.close()
            await store.close()
        })

        describe('behind the plugin', () => {
            it('a read-only request saves nothing; a write saves once', async () => {
                const { store, calls } = counting(make())
                const user = client(stateApp({ store }))
                await user.post('/increment')
                expect(calls.save).toBe(1)
                expect(await user.text('/count')).toBe('1')
                expect(await user.text('/count')).toBe('1')
                // A locking store is released after each read; a synchronous one holds nothing.
                expect(calls).toEqual({ load: 2, save: 1, release: store.synchronous ? 0 : 2, delete: 0 })
                await user.post('/increment')
                expect(calls.save).toBe(2)
            })

            it('parallel increments of one session all count', async () => {
                const user = client(stateApp({ store: make() }))
                await user.post('/increment')
                await Promise.all(Array.from({ length: 30 }, () => user.post('/increment')))
                expect(await user.text('/count')).toBe('31')
            })

            it('a value that cannot be stored fails the request, names the key, and keeps the stored state', async () => {
                const app = stateApp({ store: make() })
                    .post('/bigint', ({ scopedStore }) => {
                        scopedStore.count = 5
                        scopedStore.tags = [1n] as unknown as string[]
                        return 'bad'
                    })
                    .post('/infinity', ({ scopedStore }) => {
                        scopedStore.count = Number.POSITIVE_INFINITY
                        return 'bad'
                    })
                const user = client(app)
                await user.post('/increment')
                for (const [path, message] of [
                    ['/bigint', 'Cannot store scopedStore.tags[0] holds a bigint'],
                    ['/infinity', 'Cannot store scopedStore.count']
                ] as const) {
                    const response = await user.post(path)
                    expect(response.status).toBe(500)
                    expect(await response.text()).toStartWith(message)
                }
                expect(await user.text('/count')).toBe('1')
            })

            it('a request that fails (its handler throws, its body is refused) writes nothing, holds nothing', async () => {
                const app = stateApp({ store: make() })
                    .post('/throws', ({ scopedStore }) => {
                        scopedStore.count = 50
                        throw new Error('boom')
                    })
                    .post(
                        '/count',
                        ({ scopedStore, body }) => {
                            scopedStore.count = body.count
                            return 'set'
                        },
                        { body: t.Object({ count: t.Number() }) }
                    )
                const user = client(app)
                await user.post('/increment')
                expect((await user.post('/throws')).status).toBe(500)
                const refused = await user.post(
                    '/count',
                    { 'content-type': 'application/json' },
                    JSON.stringify({ count: 'many' })
                )
                expect(refused.status).toBe(422)
                // A lock kept by either would make this wait for lockTimeout, then answer 503.
                expect(await user.text('/count')).toBe('1')
            })

            it('state over the size limit is refused and the stored state kept', async () => {
                const app = stateApp({ store: make(), maxStateBytes: 200 }).post('/big', ({ scopedStore }) => {
                    scopedStore.tags = ['x'.repeat(300)]
                    return 'big'
                })
                const user = client(app)
                await user.post('/increment')
                const response = await user.post('/big')
                expect(response.status).toBe(413)
                expect(await response.text()).toMatch(
                    /^Scoped state would take \d+ bytes, over the limit of 200 \(maxStateBytes\); it was not saved\.$/
                )
                expect(await user.text('/count')).toBe('1')
            })

            it('logout deletes the stored record', async () => {
                const { store, calls } = counting(make())
                const user = client(stateApp({ store }))
                await user.post('/theme/dark')
                const sessions = (await store.stats()).sessions
                await user.post('/logout')
                expect(calls.delete).toBe(1)
                expect((await store.stats()).sessions).toBe(sessions - 1)
            })

            it('login moves preserved state to a new id and deletes the old record', async () => {
                const { store, calls } = counting(make())
                const user = client(stateApp({ store }))
                await user.post('/theme/dark')
                const before = user.cookie
                await user.post('/login')
                expect(user.cookie).not.toBe(before)
                expect(calls.delete).toBe(1)
                expect(await user.text('/state')).toContain('"theme":"dark"')
            })
        })

        const { shared } = options
        if (shared)
            describe('shared by several processes', () => {
                const pair = () => {
                    const both = shared()
                    stores.push(...both)
                    return both
                }
                /**
                 * Whether `promise` is still pending once `store` has answered three loads of another id,
                 * sent after it: a store that takes no lock answers the first before those, however far
                 * away its backend is. (A fixed wait passed a store without a lock 50 ms away.)
                 */
                const stillWaiting = async (promise: Promise<unknown>, store: Store) => {
                    let settled = false
                    promise.then(
                        () => {
                            settled = true
                        },
                        () => {
                            settled = true
                        }
                    )
                    const other = ids()
                    for (let round = 0; round < 3; round++) {
                        await store.load(other, DAY)
                        await store.release(other)
                    }
                    return !settled
                }

                it('a load locks the session until its save: the other waits, then reads what it wrote', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{"n":1}', DAY)
                    expect(await one.load(id, DAY)).toBe('{"n":1}')
                    const waiting = Promise.resolve(two.load(id, DAY))
                    expect(await stillWaiting(waiting, two)).toBe(true)
                    await one.save(id, '{"n":2}', DAY)
                    expect(await waiting).toBe('{"n":2}')
                    await two.release(id)
                })

                it('a release lets the other in', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{"n":1}', DAY)
                    await one.load(id, DAY)
                    const waiting = Promise.resolve(two.load(id, DAY))
                    expect(await stillWaiting(waiting, two)).toBe(true)
                    await one.release(id)
                    expect(await waiting).toBe('{"n":1}')
                    await two.release(id)
                })

                it("a release that holds no lock (after a save, or a load that gave up waiting) leaves the other's lock alone", async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{"n":1}', DAY)
                    await one.load(id, DAY)
                    await one.save(id, '{"n":2}', DAY)
                    await two.load(id, DAY)
                    // The plugin calls both: after a save that threw though it was applied, and after a load that threw.
                    await one.release(id)
                    const waiting = Promise.resolve(one.load(id, DAY))
                    expect(await stillWaiting(waiting, one)).toBe(true)
                    await two.release(id)
                    expect(await waiting).toBe('{"n":2}')
                    await one.release(id)
                })

                it('a delete is answered to the other as ended, with how long ago (endedAgo, 0 or more), taking no lock', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{"n":1}', DAY)
                    await one.load(id, DAY)
                    await one.delete(id, DAY)
                    const answer = await two.load(id, DAY)
                    // Not `SESSION_ENDED`, which the plugin refuses for as long as the store answers it: past the
                    // grace minute the process that ended the session starts a new one, and so must the others.
                    expect((answer as EndedSession)[SESSION_ENDED]).toBeGreaterThanOrEqual(0)
                    // The ended id holds no lock: the first store is not kept waiting (one that locked would
                    // wait for its lockTimeout, then throw).
                    expect(gone(await one.load(id, DAY))).toBe(true)
                    await one.release(id)
                    await two.release(id)
                })

                it("a delete by the other ends this request's hold: its save writes nothing (SessionEndedError), and the id stays ended", async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{"n":1}', DAY)
                    await one.load(id, DAY)
                    // endScopedSession(id) in another process, while a request of that session runs here.
                    await two.delete(id, DAY)
                    const late = await Promise.resolve(one.save(id, '{"n":2}', DAY)).then(
                        () => 'saved',
                        (error: unknown) => error
                    )
                    // Not busy (503), whose Retry-After would have the client send its change again, into a new session.
                    expect(late).toBeInstanceOf(SessionEndedError)
                    await one.release(id)
                    expect(gone(await two.load(id, DAY))).toBe(true)
                    await two.release(id)
                })

                it("a login's save is refused (SessionEndedError) when the other ended the session it moved from, or its new id", async () => {
                    const [one, two] = pair()
                    const [old, fresh, endedFresh] = [ids(), ids(), ids()]
                    const signedIn = '{"s":{"user":"ann"}}'
                    const saveOutcome = (id: string) =>
                        Promise.resolve(one.save(id, signedIn, DAY, old)).then(
                            () => 'saved',
                            (error: unknown) => error
                        )
                    await one.save(old, '{}', DAY)
                    await one.load(old, DAY)
                    // endScopedSession(new id) in another process, while the login runs here: else it is undone.
                    await two.delete(endedFresh, DAY)
                    expect(await saveOutcome(endedFresh)).toBeInstanceOf(SessionEndedError)
                    // endScopedSession(old id) while the login runs: else its preserved keys live on, signed in.
                    await two.delete(old, DAY)
                    expect(await saveOutcome(fresh)).toBeInstanceOf(SessionEndedError)
                    await one.release(old)
                    expect(await two.load(fresh, DAY)).toBeUndefined()
                    await two.release(fresh)
                })

                it("a save without a lock or from (a first visit's) is refused (SessionEndedError) when the other ended its id", async () => {
                    const [one, two] = pair()
                    const id = ids()
                    // endScopedSession(id) in another process of an id the app was told, before its first save here;
                    // a login after a logout in the same request saves its new id the same way.
                    await two.delete(id, DAY)
                    const saved = await Promise.resolve(one.save(id, '{"n":1}', DAY)).then(
                        () => 'saved',
                        (error: unknown) => error
                    )
                    expect(saved).toBeInstanceOf(SessionEndedError)
                    expect(gone(await two.load(id, DAY))).toBe(true)
                    await two.release(id)
                })

                const { shortLease } = options
                if (shortLease)
                    it('a lock lapses with its lease: the other takes it, and the late holder saves nothing', async () => {
                        const [one, two] = shortLease()
                        stores.push(one, two)
                        const id = ids()
                        await one.save(id, '{"n":1}', DAY)
                        // Never released, as by a process that died holding it.
                        await one.load(id, DAY)
                        await Bun.sleep((one.lockLease ?? DAY) + 50)
                        // Else that user's requests answer 503 for as long as the session lives.
                        expect(await two.load(id, DAY)).toBe('{"n":1}')
                        const late = await Promise.resolve(one.save(id, '{"n":2}', DAY)).then(
                            () => 'saved',
                            (error: unknown) => error
                        )
                        expect(late).toBeInstanceOf(StoreUnavailableError)
                        await two.release(id)
                        expect(await two.load(id, DAY)).toBe('{"n":1}')
                        await two.release(id)
                    })

                it('a delete dated back (endScopedSession) is answered to the other as ended that long ago', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{}', DAY)
                    await one.delete(id, DAY, 3_600_000)
                    // Else the other process refuses that browser for a grace minute, though no new cookie is coming.
                    expect(((await two.load(id, DAY)) as EndedSession)[SESSION_ENDED]).toBeGreaterThanOrEqual(3_600_000)
                    await two.release(id)
                })

                it('a delete told a ttl under a minute (a session near its absolute timeout) outlives that ttl, as the grace minute does', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{}', DAY)
                    await one.delete(id, 1)
                    await Bun.sleep(20)
                    expect(((await two.load(id, DAY)) as EndedSession)[SESSION_ENDED]).toBeGreaterThanOrEqual(0)
                    await two.release(id)
                })

                it('a session ended again keeps its first end', async () => {
                    const [one, two] = pair()
                    const id = ids()
                    await one.save(id, '{}', DAY)
                    await one.delete(id, DAY)
                    await Bun.sleep(30)
                    await two.delete(id, DAY)
                    const answer = await two.load(id, DAY)
                    expect((answer as EndedSession)[SESSION_ENDED]).toBeGreaterThanOrEqual(25)
                    await two.release(id)
                })

                it('a request with the ended cookie in the other process saves nothing, and a login from it answers 409', async () => {
                    const [one, two] = pair()
                    const first = client(stateApp({ store: one }))
                    await first.post('/increment')
                    const old = first.cookie
                    await first.post('/login')
                    const second = client(stateApp({ store: two }), old)
                    expect((await second.post('/increment')).status).toBe(409)
                    expect((await second.post('/login')).status).toBe(409)
                    expect(second.cookie).toBe(old)
                })
            })
    })
}
