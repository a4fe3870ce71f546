/**
 * Starts the app on its port, or explains why not, leaving nothing running: `bun run start`
 * ends by itself on a refused start (not `process.exit`, so that `bun run dev` keeps watching).
 *
 * @example
 * listen(createApp(), 3000, '0.0.0.0')
 */
import { readFileSync } from 'node:fs'
import type { AnyElysia } from 'elysia'
import { ConfigError } from './config'

/**
 * Bun's own limit on request bodies, far above the app's (64 KiB, `server/security.ts`), which
 * refuses a body by the length it declares before reading it, and says so as its other errors
 * do: Bun's refusal has no body, which Chromium shows as a blank error page to a form posted
 * without JavaScript. Kept all the same, so that a gap in the app's check (a length it misreads)
 * cannot have a body of any size read into memory. Raise it with an upload route's own limit.
 */
const BUN_BODY_LIMIT = 64 * 1024 * 1024

export const listen = (app: AnyElysia, port: number, hostname: string) => {
    try {
        // Not `reusePort`, Elysia's default: a second copy would share the port without an error,
        // and each would serve half the requests (with the memory store, from its own state).
        app.listen({ port, hostname, reusePort: false, maxRequestBodySize: BUN_BODY_LIMIT })
    } catch (error) {
        // A setting refused as the app starts (scopedState's `onStart`) comes with the server up,
        // which would keep the process running.
        void app.server?.stop(true)
        const refused = refusal((error as { code?: string }).code, port, hostname)
        if (!refused) throw error
        throw new ConfigError(refused)
    }
}

/** What to change when the system refuses the port or address (`PORT`, `HOST`), else `undefined`. */
const refusal = (code: string | undefined, port: number, hostname: string) => {
    if (code === 'EADDRINUSE')
        return `Port ${port} on ${hostname} is in use: is the app already running? Set PORT to another port.`
    const privileged = code === 'EACCES' ? privilegedBelow() : 0
    if (port < privileged)
        return `This user may not listen on port ${port}: ports below ${privileged} need privileges. Set PORT to ${privileged} or above, behind a proxy that serves ports 80 and 443.`
    // EINVAL: a name that resolves to no address, or an IPv6 link-local address without its zone.
    if (code === 'EADDRNOTAVAIL' || code === 'EINVAL')
        return `HOST=${hostname} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all of them.`
    return undefined
}

/** Ports below this need privileges: Linux lets it be set (containers often lower it), elsewhere 1024. */
const privilegedBelow = () => {
    try {
        return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'))
    } catch {
        return 1024
    }
}
