/**
 * Values made once per process. A module-level variable is not: `bun --hot` evaluates the
 * modules again, in the same process, at every save of a file, so a default store or a
 * development secret kept in one would start over there, every visitor with it.
 */

/**
 * The process's value named `name`, made by `make` the first time it is asked for.
 *
 * @example
 * const stores = processWide('default-stores', () => new Map<string, Store>())
 */
export const processWide = <Value>(name: string, make: () => Value): Value => {
    const key = Symbol.for(`scoped-state:${name}`)
    const global = globalThis as Record<symbol, unknown>
    if (!(key in global)) global[key] = make()
    return global[key] as Value
}
