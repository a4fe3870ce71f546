/**
 * Settings of the app's own Elysia that the plugin cannot work with. Each would fail later, at
 * a request, without saying why; they are refused when the app starts listening, the first
 * moment the plugin sees them.
 *
 * @example
 * new Elysia({ aot: false }).use(scopedState(setup)).listen(3000) // throws ScopedStateSetupError
 */
import { ScopedStateSetupError } from './errors.js'

/** The part of Elysia's config read here. */
interface AppConfig {
    aot?: boolean
    cookie?: { sign?: unknown }
}

/** The cookies an app-wide `sign` has Elysia sign: none for '' (it tests `if (sign)`), every one for `true`. */
const signedBy = (sign: unknown, cookieName: string): unknown[] => {
    if (sign === true) return [cookieName]
    if (typeof sign === 'string') return sign ? [sign] : []
    return Array.isArray(sign) ? sign : []
}

/**
 * Throws for a setting of `config` the plugin cannot work with, given the session cookie's
 * name and whether the plugin's hooks are synchronous (a store that does not lock).
 */
export const refuseUnsupportedConfig = (config: AppConfig, cookieName: string, synchronousHooks: boolean) => {
    if (config.aot === false)
        throw new ScopedStateSetupError(
            "scopedState: Elysia's `aot: false` is not supported. In that mode an after-hook of the app that " +
                "returns a value skips the plugin's save (the change is lost while the answer shows it), and " +
                "response schemas go unchecked on the plugin's routes. Remove `aot: false`."
        )
    const signed = signedBy(config.cookie?.sign, cookieName)
    if (signed.includes(cookieName))
        throw new ScopedStateSetupError(
            `scopedState: the app signs the session cookie '${cookieName}' (\`cookie: { sign }\` in \`new Elysia(...)\`), ` +
                'which the plugin signs itself: Elysia would check and sign it again, so routes that read cookies ' +
                "answer 400 ('invalid cookie signature') or start the session over. Name only your own cookies there."
        )
    // Elysia 1.4.30 writes `await signCookie(…)` into a synchronous route that has a synchronous
    // after-hook: the route does not compile, and Elysia prints its code, secret included, and exits.
    if (signed.length > 0 && synchronousHooks)
        throw new ScopedStateSetupError(
            'scopedState: with a synchronous store, the app cannot sign cookies for all routes (`cookie: { sign }` ' +
                'in `new Elysia(...)`): Elysia 1.4 fails to compile such routes and exits at their first request. ' +
                "Sign them on the routes that set them: `cookie: t.Cookie(schema, { secrets, sign: ['flash'] })`."
        )
}
