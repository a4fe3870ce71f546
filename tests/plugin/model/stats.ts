/**
 * The model test's tally of what its sequences reached (kinds of response, events in the
 * model), counted as they run and printed after the tests when `MODEL_STATS=1` is set.
 */
import { afterAll } from 'bun:test'

/** What the sequences reached, by kind of response and event: printed with `MODEL_STATS=1`. */
const STATS = new Map<string, number>()
export const count = (tag: string) => STATS.set(tag, (STATS.get(tag) ?? 0) + 1)
afterAll(() => {
    if (Bun.env.MODEL_STATS)
        console.log(
            [...STATS]
                .sort()
                .map(([k, v]) => `${v}\t${k}`)
                .join('\n')
        )
})
