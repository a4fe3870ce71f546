/**
 * What the system refuses an ordinary user, for tests that run as root (as CI does): a command
 * prefix that starts a process without any capability, so that the system checks file
 * permissions and privileged ports for it as for anyone (it still owns root's files).
 *
 * @example
 * Bun.spawn([...asOrdinaryUser(), 'bun', 'server/index.ts'])
 */
import { readFileSync } from 'node:fs'

/** A kernel setting under `/proc/sys`, or `undefined` where there is none (not Linux). */
export const sysctl = (name: string) => {
    try {
        return readFileSync(`/proc/sys/${name}`, 'utf8').trim()
    } catch {
        return undefined
    }
}

const CAPABILITIES = /^CapEff:\s*(\w+)$/m
const effectiveCapabilities = (status: string) => CAPABILITIES.exec(status)?.[1]?.replace(/^0+$/, '')

const hasCapabilities = () => {
    try {
        return Boolean(effectiveCapabilities(readFileSync('/proc/self/status', 'utf8')))
    } catch {
        return process.getuid?.() === 0
    }
}

const SETPRIV = ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--']

/** `[]` for a process that has no capability already; else `setpriv`, checked to drop them all. */
export const asOrdinaryUser = (): string[] => {
    if (!hasCapabilities()) return []
    if (!Bun.which('setpriv')) throw new Error('these tests need setpriv (util-linux) to drop root’s capabilities')
    const status = Bun.spawnSync([...SETPRIV, 'cat', '/proc/self/status']).stdout.toString()
    if (effectiveCapabilities(status) !== '')
        throw new Error(`setpriv left capabilities: ${CAPABILITIES.exec(status)?.[0]}`)
    return SETPRIV
}
