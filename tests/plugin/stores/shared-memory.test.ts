/**
 * The contract's shared checks without a server: a store shared by several processes, kept in
 * memory, right away and 60 ms away (as a database across a network), where a check that waited
 * a fixed 50 ms for the other store's answer failed it.
 */
import type { Store } from '../../../plugins/scoped-state'
import { sharedBackend, sharedMemoryStore } from '../../helpers/shared-memory-store'
import { storeContract } from './contract'

for (const latency of [0, 60])
    storeContract(`shared in memory, ${latency} ms away,`, {
        create: () => sharedMemoryStore(sharedBackend(), { latency }),
        shared: (): [Store, Store] => {
            const backend = sharedBackend()
            return [sharedMemoryStore(backend, { latency }), sharedMemoryStore(backend, { latency })]
        },
        shortLease: (): [Store, Store] => {
            const backend = sharedBackend()
            return [
                sharedMemoryStore(backend, { latency, lockLease: 300 }),
                sharedMemoryStore(backend, { latency, lockLease: 300 })
            ]
        }
    })
