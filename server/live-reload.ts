/**
 * `bun run dev` only: an open page reloads itself once the server restarts after a change,
 * so that an edited view, route or stylesheet shows without reloading by hand.
 *
 * Every page a GET loads gets `server/live-reload.browser.js`, with the id of the process that
 * rendered it, and keeps a WebSocket open to this process, which sends its own. `bun --watch` starts a
 * new process after each change: the page reconnects, hears another id, and reloads; so does a
 * page rendered by a process that restarted before the page connected. A WebSocket, not an
 * event stream: browsers allow six connections to a host over HTTP/1.1, and an event stream in
 * each open tab would use them up. The script is served here, not from `public/`, so that only a
 * server with live reload on has it: in production its address is unknown, as any other.
 *
 * @example
 * const reload = liveReload()
 * const app = createApp({ liveReload: reload })
 * // on shutdown, before app.stop(): the server waits for every connection, and these stay open
 * reload.close()
 */
import { Elysia } from 'elysia'
import { withBasePath } from './base-path'
import liveReloadScript from './live-reload.browser.js' with { type: 'file' }
import { HTML_TYPE } from './respond'
import { crossSite } from './security'

export const LIVE_RELOAD_PATH = '/_dev/live-reload'
export const LIVE_RELOAD_SCRIPT_PATH = '/_dev/live-reload.js'

export const liveReload = () => {
    const id = crypto.randomUUID()
    // The socket's address too: the script cannot tell the app's BASE_PATH from the page's.
    const script = `<script src="${withBasePath(LIVE_RELOAD_SCRIPT_PATH)}" data-server="${id}" data-socket="${withBasePath(LIVE_RELOAD_PATH)}" defer></script>`
    const sockets = new Set<{ close(code: number, reason: string): void }>()
    const plugin = new Elysia({ name: 'live-reload' })
        .get(LIVE_RELOAD_SCRIPT_PATH, ({ set }) => {
            // Bun sets it from the file for GET only.
            set.headers['content-type'] = Bun.file(liveReloadScript).type
            return new Response(Bun.file(liveReloadScript))
        })
        .ws(LIVE_RELOAD_PATH, {
            // Any site the developer visits may open a WebSocket to this server (on localhost, or on
            // the LAN under HOST=0.0.0.0), and would learn when a file is saved: only its own pages may.
            beforeHandle({ request, status }) {
                if (crossSite(request)) return status(403, 'Cross-site WebSocket refused.')
            },
            open(socket) {
                sockets.add(socket.raw)
                socket.send(id)
            },
            close(socket) {
                sockets.delete(socket.raw)
            }
        })
        // Every whole page, error pages too: after the fix of a bug, its page reloads as well. Not
        // the answer to a form (a POST), which the browser would reload by sending the form again.
        // A page the handler returns as a `Response` or a stream is sent as it is, without it.
        .mapResponse({ as: 'global' }, ({ request, responseValue, set }) => {
            const type = set.headers['content-type']
            if (request.method !== 'GET' || typeof responseValue !== 'string' || !responseValue.includes('</head>'))
                return undefined
            if (type !== undefined && !String(type).startsWith('text/html')) return undefined
            // On a route without an onAfterHandle hook (one that reads no state), Elysia runs no
            // mapResponse hook after the first that answers: the html plugin's would not add its
            // content type and doctype, so they are added here. Where it does run, it keeps both.
            set.headers['content-type'] ??= HTML_TYPE
            const page = /^\s*<html/i.test(responseValue) ? `<!doctype html>${responseValue}` : responseValue
            // Elysia maps whatever this hook returns, though its types name a `Response` only.
            return page.replace('</head>', `${script}</head>`) as unknown as Response
        })
    return {
        plugin,
        /** Closes the open connections: a server stopping waits for every one, and these never end on their own. */
        close() {
            for (const socket of sockets) socket.close(1001, 'server stopping')
            sockets.clear()
        }
    }
}

export type LiveReload = ReturnType<typeof liveReload>
