import { expect, setSystemTime, test } from 'bun:test'
import { memoryStore } from '../../../plugins/scoped-state'
import { storeContract } from './contract'

storeContract('memory', { create: () => memoryStore(), peek: true })

test('entries expire on a monotonic clock: one written while the wall clock ran ahead still expires by its TTL', async () => {
    const store = memoryStore()
    try {
        setSystemTime(Date.now() + 365 * 86_400_000)
        store.save('ahead', '{}', 100)
    } finally {
        setSystemTime()
    }
    await Bun.sleep(150)
    expect(store.load('ahead', 100)).toBeUndefined()
    store.close()
})
