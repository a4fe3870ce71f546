/** Turns benchmark results into the Markdown printed and written to docs/benchmarks.md. */
import { LABELS, type Variant } from './apps/variants'
import type { Machine } from './machine'
import type { WrkResult } from './wrk'

export const SCENARIOS = {
    get: 'returning user, GET /api/count',
    post: 'returning user, POST /api/increment',
    visitor: 'new visitor (no cookie), GET /api/count'
} as const
export type Scenario = keyof typeof SCENARIOS

export interface Settings {
    /** Runs of each app and scenario, each paired with a run of bare Elysia. */
    pairs: number
    seconds: number
    threads: number
    connections: number
    sessions: number
    memoryCount: number
    /** `--quick`: runs too short and too few sessions to tell whether a target is met. */
    smoke: boolean
}

/** One wrk run of one scenario against one app. */
export interface Measurement extends WrkResult {
    /** CPU time the app's process spent per request, when /proc can tell. */
    cpuMicroseconds: number | undefined
    /** Bare Elysia's run of the same scenario right before or after this one (absent for bare's own runs). */
    reference?: Measurement
}

/** Bytes retained per request, as printed by bench/memory.ts. */
export interface MemoryUse {
    rss: number
    heap: number
    stored: number
}

export interface Memory {
    /** New visitors that each wrote `{ count }`. */
    sessions: MemoryUse
    /** Cookieless visits that wrote nothing. */
    visits: MemoryUse
}

export interface Results {
    machine: Machine
    settings: Settings
    /** Every run of every scenario, per app that ran. */
    runs: Partial<Record<Variant, Record<Scenario, Measurement[]>>>
    /** Apps that did not run, and why. */
    skipped: Partial<Record<Variant, string>>
    memory?: Memory
}

const median = (values: number[]) => {
    if (values.length === 0) return undefined
    const sorted = [...values].sort((a, b) => a - b)
    const middle = Math.floor(sorted.length / 2)
    return sorted.length % 2
        ? (sorted[middle] as number)
        : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export interface Summary {
    requestsPerSecond: number
    p99Ms: number
    errors: number
    /** Median over pairs of req/s divided by bare Elysia's req/s in the same pair. */
    ratio: number | undefined
    /** That ratio in each pair, in order: how far the pairs disagree. */
    pairRatios: number[]
    cpuMicroseconds: number | undefined
    /** Bare Elysia's CPU per request over this app's: the req/s ratio of an otherwise idle machine. */
    cpuRatio: number | undefined
}

const defined = (values: Array<number | undefined>) => values.filter((value) => value !== undefined)

export const summarize = (results: Results, variant: Variant, scenario: Scenario): Summary | undefined => {
    const runs = results.runs[variant]?.[scenario]
    if (!runs?.length) return undefined
    const pairRatios = defined(
        runs.map(({ requestsPerSecond, reference }) => reference && requestsPerSecond / reference.requestsPerSecond)
    )
    const cpuRatios = defined(
        runs.map(({ cpuMicroseconds, reference }) =>
            reference?.cpuMicroseconds === undefined || cpuMicroseconds === undefined
                ? undefined
                : reference.cpuMicroseconds / cpuMicroseconds
        )
    )
    const bare = variant === 'bare'
    return {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)) as number,
        p99Ms: median(runs.map((run) => run.p99Ms)) as number,
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        ratio: bare ? 1 : median(pairRatios),
        pairRatios,
        cpuMicroseconds: median(defined(runs.map((run) => run.cpuMicroseconds))),
        cpuRatio: bare ? 1 : median(cpuRatios)
    }
}

const TARGETS: Array<{ variant: Variant; scenario: Scenario; min: number }> = [
    { variant: 'memory', scenario: 'get', min: 0.9 },
    { variant: 'memory', scenario: 'post', min: 0.9 },
    { variant: 'memory', scenario: 'visitor', min: 0.7 },
    { variant: 'sqlite', scenario: 'post', min: 0.5 },
    { variant: 'redis', scenario: 'post', min: 0.5 }
]

const number = (value: number) => Math.round(value).toLocaleString('en-US')
const fixed = (value: number | undefined, digits = 2) => (value === undefined ? '–' : value.toFixed(digits))
/** One run as the progress lines show it; the CPU time is `–` where it cannot be read (no `/proc`). */
export const describeRun = (run: Measurement) =>
    `${Math.round(run.requestsPerSecond)} req/s, p99 ${fixed(run.p99Ms)} ms, ${fixed(run.cpuMicroseconds, 1)} µs CPU/req${run.errors ? `, ${run.errors} errors` : ''}`

const verdict = (settings: Settings, ok: boolean) =>
    settings.smoke ? 'not judged (smoke run)' : ok ? 'met' : '**missed**'

const throughputTable = (results: Results) => {
    const lines = [
        '| scenario | app | req/s | p99 latency | vs bare (req/s) | CPU per request | vs bare (CPU) |',
        '| --- | --- | ---: | ---: | ---: | ---: | ---: |'
    ]
    for (const scenario of Object.keys(SCENARIOS) as Scenario[])
        for (const variant of Object.keys(LABELS) as Variant[]) {
            const summary = summarize(results, variant, scenario)
            if (!summary) continue
            const errors = summary.errors ? ` (${summary.errors} errors)` : ''
            lines.push(
                `| ${SCENARIOS[scenario]} | ${LABELS[variant]} | ${number(summary.requestsPerSecond)}${errors} | ${fixed(summary.p99Ms)} ms | ${fixed(summary.ratio)} | ${fixed(summary.cpuMicroseconds, 1)} µs | ${fixed(summary.cpuRatio)} |`
            )
        }
    return lines
}

const memoryTable = ({ memory, settings }: Results) => {
    if (!memory) return []
    const count = settings.memoryCount
    const row = (what: string, use: MemoryUse, target: string) =>
        `| ${what} | ${((use.rss * count) / 1e6).toFixed(1)} MB | ${number(use.rss)} B | ${number(use.heap)} B | ${number(use.stored)} | ${target} |`
    return [
        `| memory store, ${number(count)} requests | RSS growth | RSS per request | JS heap per request | sessions stored | target |`,
        '| --- | ---: | ---: | ---: | ---: | --- |',
        row(
            'new visitors writing `{ count }` (POST /api/increment: one session each, default page scope)',
            memory.sessions,
            `≤ 400 B RSS per session: ${verdict(settings, memory.sessions.rss <= 400)}`
        ),
        row(
            'cookieless visits reading (GET /api/count)',
            memory.visits,
            `nothing retained: ${verdict(settings, memory.visits.stored === 0 && memory.visits.heap < 8)}`
        )
    ]
}

const targetList = (results: Results) =>
    TARGETS.map(({ variant, scenario, min }) => {
        const summary = summarize(results, variant, scenario)
        if (summary?.ratio === undefined)
            return `- ${LABELS[variant]}, ${SCENARIOS[scenario]}: ≥ ${min.toFixed(2)}: not measured`
        const pairs =
            summary.pairRatios.length > 1 ? `; pairs ${summary.pairRatios.map((r) => fixed(r)).join(', ')}` : ''
        return `- ${LABELS[variant]}, ${SCENARIOS[scenario]}: ≥ ${min.toFixed(2)}, measured ${fixed(summary.ratio)} (req/s${pairs}), ${fixed(summary.cpuRatio)} (CPU): ${verdict(results.settings, summary.ratio >= min)}`
    })

export const renderReport = (results: Results) => {
    const { machine, settings } = results
    const skipped = Object.entries(results.skipped).map(
        ([variant, reason]) => `- ${LABELS[variant as Variant]}: skipped: ${reason}`
    )
    return [
        `Machine: ${machine.cpu}, ${machine.cores} cores, Bun ${machine.bun}, ${machine.date}, load average at start ${machine.loadAverage}.`,
        '',
        `wrk \`-t${settings.threads} -c${settings.connections}\` on loopback, ${settings.seconds} s per run after a warm-up. ` +
            'Every app is its own process. Bare Elysia stays up throughout; the other apps are started one at a time, and ' +
            `each runs every scenario ${settings.pairs} time(s), each run paired with a run of bare Elysia right before or after it. ` +
            `Returning users cycle through ${settings.sessions} sessions that each hold state. ` +
            'req/s and p99 are medians over runs; "vs bare" is the median over pairs of the app\'s req/s divided by bare Elysia\'s in the same pair. ' +
            "CPU per request is the app process's user + system time over the requests it answered: steadier than req/s on a shared machine (see below).",
        '',
        ...throughputTable(results),
        ...(skipped.length ? ['', ...skipped] : []),
        '',
        ...memoryTable(results),
        '',
        'Targets (ratio of req/s to bare Elysia in the same pair, median and each pair; the CPU ratio is shown alongside):',
        '',
        ...targetList(results)
    ].join('\n')
}
