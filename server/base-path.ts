/**
 * Where the app is served on its host: `''` at the root, or a path such as `/shop` (`BASE_PATH`),
 * when a proxy passes that path on as it is (docs/deployment.md, "Under a path prefix"). Routes
 * are declared under it (`server/app.ts`), and every address a page, a redirect or `HX-Redirect`
 * names goes through `withBasePath`: the browser resolves `/counter` from the host's root.
 *
 * Read when this module loads, as views import it: an invalid value runs the app at the root
 * only until `readConfig` stops startup with its message (`server/config.ts`).
 */

/** Path segments of URL-safe characters, each after a `/`: none empty or dots only, no trailing slash. */
export const BASE_PATH_FORM = /^(\/(?!\.+(\/|$))[A-Za-z0-9._~-]+)*$/

const fromEnvironment = Bun.env.BASE_PATH ?? ''

export const BASE_PATH = BASE_PATH_FORM.test(fromEnvironment) ? fromEnvironment : ''

/**
 * An address of the app as the browser must ask for it.
 * @example withBasePath('/counter') // '/shop/counter' under BASE_PATH=/shop
 */
export const withBasePath = (path: string) => BASE_PATH + path
