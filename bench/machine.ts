/** The machine a benchmark ran on, for the report. */
import { cpus, loadavg } from 'node:os'

export interface Machine {
    cpu: string
    cores: number
    bun: string
    date: string
    loadAverage: string
}

const cpuModel = async () => {
    try {
        const info = await Bun.file('/proc/cpuinfo').text()
        const match = info.match(/^model name\s*:\s*(.+)$/m)
        if (match?.[1]) return match[1].trim()
    } catch {}
    return cpus()[0]?.model ?? 'unknown'
}

export const describeMachine = async (): Promise<Machine> => ({
    cpu: await cpuModel(),
    cores: cpus().length,
    bun: Bun.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage: loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')
})
