/**
 * CPU time a process has used so far (user + system), from /proc. CPU per request
 * is steadier than requests per second on a machine shared with other work.
 * `undefined` where /proc is missing (macOS).
 */
const TICKS_PER_SECOND = 100

export const cpuSeconds = async (pid: number): Promise<number | undefined> => {
    try {
        const stat = await Bun.file(`/proc/${pid}/stat`).text()
        // Fields after the command name, which is in parentheses and may hold spaces.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    } catch {
        return undefined
    }
}
