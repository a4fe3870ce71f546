/** The demo app as tests build it: a fixed secret, the memory store unless given another. */
import { type AppOptions, createApp } from '../../server/app'
import { SECRET } from './plugin-app'

export const testApp = (state: AppOptions['state'] = {}) => createApp({ state: { secret: SECRET, ...state } })
