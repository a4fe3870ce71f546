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
    runs: quick ? 1 : 3,
    seconds: quick ? 1 : 5,
    threads: 1,
    connections: 32,
    sessions: 256,
    memoryCount: quick ? 10_000 : 100_000
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
    try {
        // Rounds go through every app in turn, so a change in background load hits them alike.
        for (let round = 1; round <= settings.runs; round++)
            for (const variant of variants) {
                const server = await serve(variant, {
                    sqlitePath: join(scratch, `${variant}-${round}.sqlite`),
                    redisUrl: redis?.url,
                    redisPrefix: `bench${round}:`
                })
                try {
                    const cookies = await returningUsers(server.url, settings.sessions)
                    const scenarios = Object.keys(SCENARIOS) as Scenario[]
                    for (const scenario of scenarios)
                        await runWrk(wrk, {
                            ...scenarioRequest(scenario, server.url, cookies),
                            seconds: WARM_UP_SECONDS,
                            threads: settings.threads,
                            connections: settings.connections
                        })
                    for (const scenario of scenarios) {
                        const cpuBefore = await cpuSeconds(server.pid)
                        const measured = await runWrk(wrk, {
                            ...scenarioRequest(scenario, server.url, cookies),
                            seconds: settings.seconds,
                            threads: settings.threads,
                            connections: settings.connections
                        })
                        const cpuAfter = await cpuSeconds(server.pid)
                        const requests = measured.requestsPerSecond * settings.seconds
                        const result: Measurement = {
                            ...measured,
                            round,
                            cpuMicroseconds:
                                cpuBefore === undefined || cpuAfter === undefined
                                    ? undefined
                                    : ((cpuAfter - cpuBefore) * 1e6) / requests
                        }
                        results.runs[variant] ??= { get: [], post: [], visitor: [] }
                        results.runs[variant][scenario].push(result)
                        console.log(
                            `round ${round} ${variant} ${scenario}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, ${result.cpuMicroseconds?.toFixed(1)} µs CPU/req${result.errors ? `, ${result.errors} errors` : ''}`
                        )
                    }
                } finally {
                    await server.stop()
                }
            }
    } finally {
        await redis?.stop()
        rmSync(scratch, { recursive: true, force: true })
    }

    const memory: Memory = { sessions: await measureMemory('sessions'), visits: await measureMemory('visits') }
    results.memory = memory
    const report = renderReport(results)
    console.log(`\n${report}`)
    if (write) {
        await writeDocs(report)
        console.log(`\nwritten to ${DOCS}`)
    }
}

await main()
