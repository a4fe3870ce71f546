/**
 * A request written byte for byte on its own connection (`Connection: close`), for what `fetch`
 * would not send: a `Host` that makes no URL, a header sent twice.
 *
 * @example
 * await rawExchange(port, 'GET / HTTP/1.1\r\nHost: [\r\nConnection: close\r\n\r\n') // 'HTTP/1.1 200 OK…'
 */
export const rawExchange = (port: number, request: string) =>
    new Promise<string>((resolve, reject) => {
        let received = ''
        Bun.connect({
            hostname: '127.0.0.1',
            port,
            socket: {
                open: (socket) => {
                    socket.write(request)
                },
                data: (_, chunk) => {
                    received += chunk.toString()
                },
                close: () => resolve(received),
                error: (_, error) => reject(error)
            }
        })
    })
