/**
 * The TypeScript sample of the template's README.md runs here as written. A new app made
 * with `bun create` writes its own README, so this file is not copied there.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { counterSample, loadSample, removeSamples, samples } from './helpers/readme-samples'

afterAll(removeSamples)

describe('README.md', () => {
    test('has exactly the samples this file exercises', async () => {
        expect((await samples('README.md')).length).toBe(1)
    })

    test('the plugin sample: per-user counts and a reset', async () => {
        await counterSample((await loadSample('README.md', 0)).app)
    })
})
