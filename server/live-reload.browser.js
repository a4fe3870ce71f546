// `bun run dev` adds this script to every page a GET loads (server/live-reload.ts), with the id
// of the process that rendered the page. The server sends the id of its process; `bun --watch`
// starts a new process after each change, so once this page reconnects and hears another id,
// it reloads to show the change.
// A tag without the id (copied by hand): the first process heard stands for the page's.
let serverId = document.currentScript?.dataset.server
// Under the app's BASE_PATH, which the tag names; one copied by hand without it: the host's root.
const socketPath = document.currentScript?.dataset.socket ?? '/_dev/live-reload'

// Failed tries since the last socket opened.
let retries = 0

const connect = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${socketPath}`)
    socket.addEventListener('open', () => {
        retries = 0
    })
    socket.addEventListener('message', ({ data }) => {
        serverId ??= data
        if (data !== serverId) location.reload()
    })
    // The server is restarting, or stopped: try again until one answers, soon at first (a
    // restart takes a moment), then every 2 s, so that a tab left open on a stopped server does
    // not fill its console with failed connections.
    socket.addEventListener('close', () => setTimeout(connect, Math.min(250 * 2 ** retries++, 2000)))
}

connect()
