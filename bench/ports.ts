/** A loopback port that was free a moment ago (the OS picks it; we close and reuse it). */
export const freePort = async () => {
    const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const { port } = server
    server.stop(true)
    return port
}
