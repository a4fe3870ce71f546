// `bun run dev` adds this script to every page a GET loads (server/live-reload.ts), with the id
// of the process that rendered the page. The server sends the id of its process; `bun --watch`
// starts a new process after each change, so once this page reconnects and hears another id,
// it reloads to show the change.
// A tag without the id (copied by hand): the first process heard stands for the page's.
let serverId = document.currentScript?.dataset.server

const connect = () => {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/_dev/live-reload`)
    socket.addEventListener('message', ({ data }) => {
        serverId ??= data
        if (data !== serverId) location.reload()
    })
    // The server is restarting, or stopped: try again until one answers.
    socket.addEventListener('close', () => setTimeout(connect, 500))
}

connect()
