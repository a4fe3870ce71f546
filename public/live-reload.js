// `bun run dev` adds this script to every page (server/live-reload.ts). The server sends the
// id of its process; `bun --watch` starts a new process after each change, so once this page
// reconnects and hears another id, it reloads to show the change.
let serverId

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
