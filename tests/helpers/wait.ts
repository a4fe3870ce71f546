/**
 * Waits for a log's timer to have written: resolves once `list` holds `count` entries, or after
 * 5 s (then the test's expectations fail, showing what it holds).
 *
 * @example
 * await lengthReaches(lines, 2)
 */
export const lengthReaches = async (list: readonly unknown[], count: number) => {
    for (const deadline = Date.now() + 5_000; list.length < count && Date.now() < deadline; ) await Bun.sleep(5)
}
