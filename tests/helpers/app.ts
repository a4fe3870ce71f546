/**
 * The demo app as tests build it: a fixed secret, the memory store unless given another,
 * and no outage or refusal warnings in the test output (tests/server/counted-log.test.ts hears them).
 */
import { type AppOptions, createApp } from '../../server/app'
import { SECRET } from './plugin-app'

export const testApp = (state: AppOptions['state'] = {}) =>
    createApp({ state: { secret: SECRET, ...state }, warn: () => {} })
