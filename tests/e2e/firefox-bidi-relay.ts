/**
 * Run by playwright-core in Firefox's place (`tests/e2e/firefox.ts`): starts the Firefox named by
 * env `FIREFOX_BIDI_TARGET` with the arguments given, and relays its WebDriver BiDi socket.
 *
 * playwright-core 1.65 sends `emulation.setMediaFeaturesOverride` for every new context, and
 * Firefox ESR 153 does not know that command, so each `newContext()` failed. The relay answers
 * it for the default light scheme, which headless Firefox shows anyway, and refuses a dark one,
 * which it cannot give: a test asking for dark fails instead of running in light.
 */
import type { ServerWebSocket } from 'bun'
import { drain } from '../helpers/server'

const target = process.env.FIREFOX_BIDI_TARGET
if (!target) throw new Error('FIREFOX_BIDI_TARGET names no Firefox')

// What playwright-core waits for on the browser's output, then connects to with `/session` added.
const LISTENING = /WebDriver BiDi listening on (ws:\/\/\S+)/

type Relayed = { path: string; firefox?: WebSocket; waiting: string[] }

const answerMediaFeatures = (command: { id: number; params?: { features?: Record<string, unknown> } }) => {
    const scheme = command.params?.features?.['prefers-color-scheme']
    if (scheme === undefined || scheme === null || scheme === 'light')
        return { type: 'success', id: command.id, result: {} }
    const message = `Firefox ESR has no emulation.setMediaFeaturesOverride: prefers-color-scheme ${scheme} cannot be emulated`
    return { type: 'error', id: command.id, error: 'unsupported operation', message }
}

const startRelay = (firefoxUrl: string) =>
    Bun.serve<Relayed>({
        hostname: '127.0.0.1',
        port: 0,
        fetch: (request, server) =>
            server.upgrade(request, { data: { path: new URL(request.url).pathname, waiting: [] } })
                ? undefined
                : new Response('WebDriver BiDi only', { status: 400 }),
        websocket: {
            open(playwright: ServerWebSocket<Relayed>) {
                const firefox = new WebSocket(`${firefoxUrl}${playwright.data.path}`)
                firefox.onopen = () => {
                    for (const message of playwright.data.waiting) firefox.send(message)
                    playwright.data.waiting = []
                }
                firefox.onmessage = (event) => playwright.send(String(event.data))
                firefox.onclose = () => playwright.close()
                playwright.data.firefox = firefox
            },
            message(playwright, message) {
                const text = String(message)
                const command = JSON.parse(text)
                if (command.method === 'emulation.setMediaFeaturesOverride') {
                    playwright.send(JSON.stringify(answerMediaFeatures(command)))
                    return
                }
                const firefox = playwright.data.firefox
                if (firefox?.readyState === WebSocket.OPEN) firefox.send(text)
                else playwright.data.waiting.push(text)
            },
            close(playwright) {
                playwright.data.firefox?.close()
            }
        }
    })

const firefox = Bun.spawn([target, ...process.argv.slice(2)], { stdin: 'ignore', stdout: 'inherit', stderr: 'pipe' })
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => firefox.kill(signal))

let pending = ''
drain(firefox.stderr, (text) => {
    const lines = (pending + text).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
        const listening = line.match(LISTENING)
        if (!listening?.[1]) {
            process.stderr.write(`${line}\n`)
            continue
        }
        const relay = startRelay(listening[1])
        process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${relay.port}\n`)
    }
})
process.exit(await firefox.exited)
