/**
 * In development, a request is answered only when its `Host` names this machine as a browser on
 * it would: `localhost` (and its subdomains), an IP address (a phone on the LAN), or a name the
 * developer listed in `ALLOWED_HOSTS`. Else a page on any site could point its own name at
 * 127.0.0.1 (DNS rebinding) and read what the development server answers, as Vite's and
 * webpack's development servers refuse too. Not in production, where the proxy in front
 * chooses which names reach the app.
 */
import { isIP } from 'node:net'
import { Elysia } from 'elysia'

/** Whether `hostname` (as a URL gives it: lower case, IPv6 in brackets) may reach the development server. */
const allowed = (hostname: string, names: readonly string[]) =>
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    isIP(hostname.replace(/^\[(.*)\]$/, '$1')) !== 0 ||
    names.some((name) =>
        name.startsWith('.') ? hostname.endsWith(name) || hostname === name.slice(1) : hostname === name
    )

/**
 * Refuses with 403, before routing, a request whose `Host` is none of the above, and with 400 one
 * whose `Host` is no host name at all.
 *
 * @example
 * app.use(devHosts(['myapp.test', '.ngrok-free.app']))
 */
export const devHosts = (names: readonly string[]) =>
    new Elysia({ name: 'dev-hosts', seed: names }).onRequest(({ request, set }) => {
        // Bun builds the URL from the `Host` header: one that is no host name (`Host: [`, `exé.com`)
        // leaves it unparsable, which `new URL` would throw as a bug, answered 500 and logged.
        // A trailing dot names the same host, fully qualified (`localhost.`): ALLOWED_HOSTS takes no name with one.
        const hostname = URL.parse(request.url)?.hostname.replace(/\.$/, '')
        // An empty label (`.`, `localhost..`) is no host name either: the 403 would ask to list one config refuses.
        if (hostname === undefined || hostname.split('.').includes('')) {
            set.status = 400
            set.headers['content-type'] = 'text/plain; charset=utf-8'
            return 'The Host header names no host.'
        }
        if (allowed(hostname, names)) return
        set.status = 403
        set.headers['content-type'] = 'text/plain; charset=utf-8'
        return (
            `Host '${hostname}' is not allowed in development: a page on another site could reach this server ` +
            `under that name. To use it, add it to ALLOWED_HOSTS (comma-separated; '.${hostname}' takes its subdomains too).`
        )
    })
