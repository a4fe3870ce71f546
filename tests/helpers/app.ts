/**
 * The demo app as tests build it: a fixed secret, the memory store unless given another,
 * and no store-outage warnings in the test output (tests/server/outage-log.test.ts hears them).
 */
import { type AppOptions, createApp } from '../../server/app'
import { SECRET } from './plugin-app'

export const testApp = (state: AppOptions['state'] = {}) =>
    createApp({ state: { secret: SECRET, ...state }, warn: () => {} })
