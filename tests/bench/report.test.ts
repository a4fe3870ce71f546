/**
 * How the benchmark turns paired runs into ratios: each app's req/s is divided by bare
 * Elysia's in the same pair, never by a run taken at another time.
 */
import { describe, expect, test } from 'bun:test'
import { describeRun, type Measurement, type Results, renderReport, summarize } from '../../bench/report'

const run = (requestsPerSecond: number, cpuMicroseconds: number, reference?: Measurement): Measurement => ({
    requestsPerSecond,
    p99Ms: 1,
    errors: 0,
    cpuMicroseconds,
    reference
})

/** Bare Elysia ran at 100 000 req/s, then at 40 000 when the machine got busy. */
const fast = run(100_000, 10)
const slow = run(40_000, 25)

const results = (): Results => ({
    machine: { cpu: 'test', cores: 2, bun: '1', date: '2026-01-01T00:00:00Z', loadAverage: '0 0 0' },
    settings: { pairs: 2, seconds: 1, threads: 1, connections: 32, sessions: 256, memoryCount: 10, smoke: false },
    runs: {
        bare: { get: [fast, slow], post: [], visitor: [] },
        memory: { get: [run(80_000, 12.5, fast), run(36_000, 27.5, slow)], post: [], visitor: [] }
    },
    skipped: {}
})

describe('benchmark report', () => {
    test("an app's ratio is the median of its pairs, each against the bare run it was paired with", () => {
        const summary = summarize(results(), 'memory', 'get')
        expect(summary?.pairRatios).toEqual([0.8, 0.9])
        expect(summary?.ratio).toBeCloseTo(0.85)
        // Against the median of bare's runs (70 000) the busy pair would read 0.51 instead of 0.9.
        expect(summary?.cpuRatio).toBeCloseTo((10 / 12.5 + 25 / 27.5) / 2)
    })

    test('bare Elysia is the reference: ratio 1, its req/s the median of all its runs', () => {
        const summary = summarize(results(), 'bare', 'get')
        expect(summary?.ratio).toBe(1)
        expect(summary?.requestsPerSecond).toBe(70_000)
    })

    test('an app or scenario that did not run has no summary', () => {
        expect(summarize(results(), 'redis', 'get')).toBeUndefined()
        expect(summarize(results(), 'memory', 'post')).toBeUndefined()
    })

    test("the targets list each pair's ratio next to the median", () => {
        const report = renderReport(results())
        expect(report).toContain(
            '| returning user, GET /api/count | scoped-state, memory store | 58,000 | 1.00 ms | 0.85 |'
        )
        expect(report).toContain('GET /api/count: ≥ 0.90, measured 0.85 (req/s; pairs 0.80, 0.90)')
        expect(report).toContain('POST /api/increment: ≥ 0.90: not measured')
        expect(report).toContain('(CPU): **missed**')
    })

    test('a smoke run (--quick) judges no target: its runs are too short, its sessions too few', () => {
        const smoke = { ...results(), settings: { ...results().settings, smoke: true } }
        const report = renderReport(smoke)
        expect(report).toContain(
            'GET /api/count: ≥ 0.90, measured 0.85 (req/s; pairs 0.80, 0.90), 0.85 (CPU): not judged (smoke run)'
        )
        expect(report).not.toMatch(/: met|missed/)
    })

    test("a run's progress line shows its CPU time, or – where there is no /proc to read it from", () => {
        expect(describeRun({ ...run(58_000, 17.25), errors: 3 })).toBe(
            '58000 req/s, p99 1.00 ms, 17.3 µs CPU/req, 3 errors'
        )
        expect(describeRun({ ...run(58_000, 0), cpuMicroseconds: undefined })).toBe(
            '58000 req/s, p99 1.00 ms, – µs CPU/req'
        )
    })
})
