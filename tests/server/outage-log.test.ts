/** The session store failing is told to the operator once, then once per window with a count. */
import { expect, test } from 'bun:test'
import { StoreUnavailableError } from '../../plugins/scoped-state'
import { createApp } from '../../server/app'
import { outageLog } from '../../server/outage-log'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'
import { unreachableRedisStore } from '../helpers/redis'

test('the first failure is reported at once; later ones once per window, counted', () => {
    const lines: string[] = []
    let time = 0
    const report = outageLog(
        (line) => lines.push(line),
        10_000,
        () => time
    )
    const failure = new StoreUnavailableError('Redis did not answer within 1500 ms')
    report(failure)
    for (let i = 0; i < 4; i++) {
        time += 2_000
        report(failure)
    }
    time += 2_000
    report(failure)
    expect(lines).toEqual([
        'Session store unavailable: Redis did not answer within 1500 ms (1 request answered 503 since the last report)',
        'Session store unavailable: Redis did not answer within 1500 ms (5 requests answered 503 since the last report)'
    ])
})

test('the app reports its store down once for a burst of failed requests, and nothing as a bug', async () => {
    const down = await unreachableRedisStore()
    const warnings: string[] = []
    try {
        const user = client(createApp({ state: { secret: SECRET, store: down }, warn: (line) => warnings.push(line) }))
        await user.post('/api/increment')
        for (let i = 0; i < 3; i++) expect((await user.post('/api/increment')).status).toBe(503)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toStartWith('Session store unavailable: Redis: ')
    } finally {
        down.close()
    }
})
