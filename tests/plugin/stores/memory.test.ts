import { expect, test } from 'bun:test'
import { memoryStore, type StoreStats } from '../../../plugins/scoped-state'
import { storeContract } from './contract'

storeContract('memory', { create: () => memoryStore() })

test('an entry written while the clock ran ahead expires by its TTL once the clock is corrected, read again or not', async () => {
    const year = 365 * 86_400_000
    let now = 1_000_000 + year
    const store = memoryStore({ now: () => now, sweepInterval: 20 })
    store.save('untouched', '{}', 10_000)
    now -= year
    // A sweep brings its expiry back within the TTL; the next one after that deletes it.
    await Bun.sleep(100)
    now += 10_001
    for (let i = 0; i < 100 && (store.stats() as StoreStats).sessions > 0; i++) await Bun.sleep(20)
    expect(store.stats()).toMatchObject({ sessions: 0, expirations: 1 })
    store.close()
})
