/**
 * `bun run bench`: the cost of scoped-state per request and per session, against
 * bare Elysia serving the same fragments. Writes the results to docs/benchmarks.md
 * between its markers, keeping the rest of that page.
 *
 * `bun run bench --quick`: one short run of everything, to keep this script
 * working (CI); it prints but does not write unless `--write` is given.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unavailable, VARIANTS, type Variant, type VariantOptions } from './apps/variants'
import { cpuSeconds } from './cpu'
import { describeMachine } from './machine'
import { type RedisServer, startRedis } from './redis'
import {
    describeRun,
    type Measurement,
    type Memory,
    type MemoryUse,
    type Results,
    renderReport,
    SCENARIOS,
    type Scenario,
    type Settings
} from './report'
import { findWrk, runWrk, WRK_MISSING } from './wrk'

const quick = process.argv.includes('--quick')
const write = !quick || process.argv.includes('--write')
const settings: Settings = {
    pairs: quick ? 1 : 6,
    seconds: quick ? 1 : 2,
    threads: 1,
    connections: 32,
    sessions: 256,
    memoryCount: quick ? 10_000 : 100_000,
    smoke: quick
}
const WARM_UP_SECONDS = 1
const DOCS = join(import.meta.dir, '../docs/benchmarks.md')
const START = '<!-- bench:start (written by `bun run bench`) -->'
const END = '<!-- bench:end -->'

interface Server {
    url: string
    pid: number
    stop(): Promise<void>
}

/** Starts `variant` in its own process and waits for its port. */
const serve = async (variant: Variant, options: VariantOptions): Promise<Server> => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, 'serve.ts'), variant, JSON.stringify(options)], {
        stdout: 'pipe',
        stderr: 'inherit'
    })
    const reader = child.stdout.getReader()
    let output = ''
    while (!output.includes('\n')) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`the ${variant} app exited before listening`)
        output += new TextDecoder().decode(value)
    }
    reader.releaseLock()
    const { port } = JSON.parse(output.split('\n')[0] as string) as { port: number }
    return {
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        stop: async () => {
            child.kill('SIGTERM')
            await child.exited
        }
    }
}

/** Cookies of `count` sessions that each hold state (one increment), like returning users. */
const returningUsers = async (url: string, count: number) => {
    const cookies: string[] = []
    for (let i = 0; i < count; i++) {
        const response = await fetch(`${url}/api/increment`, { method: 'POST' })
        await response.text()
        if (response.status !== 200)
            throw new Error(`POST /api/increment answered ${response.status} while making users`)
        const cookie = response.headers.get('set-cookie')?.split(';')[0]
        // Bare Elysia sets no cookie; it gets one of the same size, so its requests weigh the same.
        cookies.push(cookie ?? `user_session_id=${'x'.repeat(24)}.${'0'.repeat(6)}.${'0'.repeat(6)}.${'s'.repeat(43)}`)
    }
    return cookies
}

const scenarioRequest = (scenario: Scenario, url: string, cookies: string[]) =>
    scenario === 'get'
        ? { url: `${url}/api/count`, method: 'GET' as const, cookies }
        : scenario === 'post'
          ? { url: `${url}/api/increment`, method: 'POST' as const, cookies }
          : { url: `${url}/api/count`, method: 'GET' as const, cookies: [] }

const measureMemory = async (kind: 'sessions' | 'visits'): Promise<MemoryUse> => {
    const child = Bun.spawn(
        [process.execPath, join(import.meta.dir, 'memory.ts'), kind, String(settings.memoryCount)],
        { stdout: 'pipe', stderr: 'inherit' }
    )
    const [output, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
    if (code !== 0) throw new Error(`memory measurement '${kind}' failed (exit ${code})`)
    return JSON.parse(output.trim().split('\n').at(-1) as string) as MemoryUse
}

/** An app under test, with the cookies of its returning users. */
interface App {
    server: Server
    cookies: string[]
}

const SCENARIO_KEYS = Object.keys(SCENARIOS) as Scenario[]

const wrkRun = (app: App, scenario: Scenario, seconds: number) => ({
    ...scenarioRequest(scenario, app.server.url, app.cookies),
    seconds,
    threads: settings.threads,
    connections: settings.connections
})

const warmUp = async (wrk: string, app: App) => {
    for (const scenario of SCENARIO_KEYS) await runWrk(wrk, wrkRun(app, scenario, WARM_UP_SECONDS))
}

/** One run of `scenario` against `app`, with the CPU time its process spent per request. */
const measure = async (wrk: string, app: App, scenario: Scenario): Promise<Measurement> => {
    const cpuBefore = await cpuSeconds(app.server.pid)
    const measured = await runWrk(wrk, wrkRun(app, scenario, settings.seconds))
    const cpuAfter = await cpuSeconds(app.server.pid)
    const requests = measured.requestsPerSecond * settings.seconds
    return {
        ...measured,
        cpuMicroseconds:
            cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / requests
    }
}

const record = (results: Results, variant: Variant, scenario: Scenario, run: Measurement) => {
    results.runs[variant] ??= { get: [], post: [], visitor: [] }
    results.runs[variant][scenario].push(run)
}

const writeDocs = async (report: string) => {
    const block = `${START}\n${report}\n${END}`
    const current = existsSync(DOCS) ? await Bun.file(DOCS).text() : ''
    const at = current.indexOf(START)
    const end = current.indexOf(END)
    const next =
        at !== -1 && end > at
            ? current.slice(0, at) + block + current.slice(end + END.length)
            : `# Benchmarks\n\n${block}\n${current}`
    await Bun.write(DOCS, next)
}

/**
 * What the run did not measure: runs that got errors measured error answers, and a skipped
 * app (with `REQUIRE_SERVICES=1`, as in CI) was not measured at all. Either fails the script,
 * and a full run then leaves docs/benchmarks.md as it was.
 */
const unmeasured = (results: Results) => {
    const problems = Object.entries(results.runs).flatMap(([variant, scenarios]) =>
        Object.entries(scenarios).flatMap(([scenario, runs]) => {
            const errors = runs.reduce((sum, run) => sum + run.errors, 0)
            return errors
                ? [`${variant} ${scenario}: ${errors} errors (socket errors, timeouts or non-2xx/3xx answers)`]
                : []
        })
    )
    if (process.env.REQUIRE_SERVICES === '1')
        for (const [variant, reason] of Object.entries(results.skipped)) problems.push(`${variant}: skipped: ${reason}`)
    return problems
}

const main = async () => {
    const wrk = findWrk()
    if (!wrk) {
        console.error(WRK_MISSING)
        process.exit(1)
    }
    const results: Results = { machine: await describeMachine(), settings, runs: {}, skipped: {} }
    console.log(`load average at start: ${results.machine.loadAverage}`)

    const variants: Variant[] = []
    for (const variant of VARIANTS) {
        const reason = await unavailable(variant)
        if (reason) results.skipped[variant] = reason
        else variants.push(variant)
    }
    let redis: RedisServer | undefined
    if (variants.includes('redis')) {
        const started = await startRedis()
        if (typeof started === 'string') {
            results.skipped.redis = started
            variants.splice(variants.indexOf('redis'), 1)
        } else redis = started
    }
    for (const [variant, reason] of Object.entries(results.skipped)) console.log(`${variant}: skipped: ${reason}`)

    const scratch = mkdtempSync(join(tmpdir(), 'bench-'))
    // Bare Elysia stays up throughout, and each other app's runs alternate with its runs:
    // on a shared machine background load changes from one minute to the next, and the
    // ratio of two runs taken minutes apart measures that change as much as the apps.
    const bareServer = await serve('bare', {})
    try {
        const bare: App = { server: bareServer, cookies: await returningUsers(bareServer.url, settings.sessions) }
        await warmUp(wrk, bare)
        for (const variant of variants) {
            if (variant === 'bare') continue
            const server = await serve(variant, {
                sqlitePath: join(scratch, `${variant}.sqlite`),
                redisUrl: redis?.url,
                redisPrefix: `bench-${variant}:`
            })
            try {
                const app: App = { server, cookies: await returningUsers(server.url, settings.sessions) }
                await warmUp(wrk, app)
                for (const scenario of SCENARIO_KEYS)
                    for (let pair = 1; pair <= settings.pairs; pair++) {
                        // Each goes first in turn, so a steady rise or fall in load favours neither.
                        const bareFirst = pair % 2 === 1
                        const before = await measure(wrk, bareFirst ? bare : app, scenario)
                        const after = await measure(wrk, bareFirst ? app : bare, scenario)
                        const reference = bareFirst ? before : after
                        record(results, 'bare', scenario, reference)
                        const run = { ...(bareFirst ? after : before), reference }
                        record(results, variant, scenario, run)
                        console.log(
                            `${variant} ${scenario} pair ${pair}: ${describeRun(run)}; bare ${describeRun(reference)}`
                        )
                    }
            } finally {
                await server.stop()
            }
        }
    } finally {
        await bareServer.stop()
        await redis?.stop()
        rmSync(scratch, { recursive: true, force: true })
    }

    const memory: Memory = { sessions: await measureMemory('sessions'), visits: await measureMemory('visits') }
    results.memory = memory
    const report = renderReport(results)
    console.log(`\n${report}`)
    const problems = unmeasured(results)
    if (problems.length) {
        console.error(`\nthe benchmark did not measure what it should:\n${problems.join('\n')}`)
        process.exit(1)
    }
    if (write) {
        await writeDocs(report)
        console.log(`\nwritten to ${DOCS}`)
    }
}

await main()
