import { memoryStore } from '../../../plugins/scoped-state'
import { storeContract } from './contract'

storeContract('memory', { create: () => memoryStore() })
