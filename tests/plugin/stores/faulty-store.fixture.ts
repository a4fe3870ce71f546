/**
 * The contract against a shared store with one mistake, `FAULT` (see shared-memory-store.ts),
 * `LATENCY` ms away. Not a test file of its own: contract-strength.test.ts runs it, once per
 * mistake, and expects it to fail.
 */
import type { Store } from '../../../plugins/scoped-state'
import { type Fault, sharedBackend, sharedMemoryStore } from '../../helpers/shared-memory-store'
import { storeContract } from './contract'

const fault = process.env.FAULT as Fault
const latency = Number(process.env.LATENCY ?? 0)
storeContract(`shared, with ${fault},`, {
    create: () => sharedMemoryStore(sharedBackend(), { fault, latency }),
    shared: (): [Store, Store] => {
        const backend = sharedBackend()
        return [sharedMemoryStore(backend, { fault, latency }), sharedMemoryStore(backend, { fault, latency })]
    },
    shortLease: (): [Store, Store] => {
        const backend = sharedBackend()
        const options = { fault, latency, lockLease: 300 }
        return [sharedMemoryStore(backend, options), sharedMemoryStore(backend, options)]
    }
})
