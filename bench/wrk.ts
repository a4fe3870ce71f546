/**
 * Runs `wrk` against one route and reads its results back as JSON (a Lua `done`
 * hook prints them). Requests are formatted once per thread, cycling through the
 * given cookies, so the load generator does the same little work for every app.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface WrkRun {
    url: string
    method: 'GET' | 'POST'
    /** `Cookie` header values to cycle through; empty for cookieless requests. */
    cookies: string[]
    seconds: number
    threads: number
    connections: number
}

export interface WrkResult {
    requestsPerSecond: number
    p99Ms: number
    /** Socket errors, timeouts and non-2xx/3xx answers. */
    errors: number
}

/** The `wrk` binary, or `undefined` when it is not installed. */
export const findWrk = () => Bun.which('wrk') ?? undefined

export const WRK_MISSING = [
    'wrk is not installed; the benchmark needs it as its load generator.',
    '  Debian/Ubuntu: sudo apt-get install wrk',
    '  macOS:         brew install wrk'
].join('\n')

const luaString = (value: string) => JSON.stringify(value)

const script = (method: string, path: string, cookies: string[]) => `
local cookies = { ${cookies.map(luaString).join(', ')} }
local requests = {}
local next = 0

function init(args)
    local headers = { ["Accept"] = "*/*" }
    if #cookies == 0 then
        requests[1] = wrk.format(${luaString(method)}, ${luaString(path)}, headers, ${method === 'POST' ? '""' : 'nil'})
    end
    for i, cookie in ipairs(cookies) do
        headers["Cookie"] = cookie
        requests[i] = wrk.format(${luaString(method)}, ${luaString(path)}, headers, ${method === 'POST' ? '""' : 'nil'})
    end
end

function request()
    next = next % #requests + 1
    return requests[next]
end

function done(summary, latency, _)
    local e = summary.errors
    io.write(string.format('\\n{"requests":%d,"duration":%d,"p99":%d,"errors":%d}\\n',
        summary.requests, summary.duration, latency:percentile(99),
        e.connect + e.read + e.write + e.status + e.timeout))
end
`

export const runWrk = async (wrk: string, run: WrkRun): Promise<WrkResult> => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'))
    try {
        const file = join(dir, 'run.lua')
        writeFileSync(file, script(run.method, new URL(run.url).pathname, run.cookies))
        const args = [
            wrk,
            `-t${run.threads}`,
            `-c${run.connections}`,
            `-d${run.seconds}s`,
            '--timeout',
            '5s',
            '-s',
            file,
            run.url
        ]
        const child = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' })
        const [out, err, code] = await Promise.all([
            new Response(child.stdout).text(),
            new Response(child.stderr).text(),
            child.exited
        ])
        const line = out.split('\n').find((l) => l.startsWith('{"requests"'))
        if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`)
        const result = JSON.parse(line) as { requests: number; duration: number; p99: number; errors: number }
        return {
            requestsPerSecond: result.requests / (result.duration / 1e6),
            p99Ms: result.p99 / 1000,
            errors: result.errors
        }
    } finally {
        rmSync(dir, { recursive: true, force: true })
    }
}
