/**
 * `.ci/run` installs only what the tests lack, also where CI runs as a user with sudo and
 * browsers other than Debian's `chromium` and `firefox-esr` (GitHub's Ubuntu runners), and
 * says what to install where there is no apt-get. It runs here with stand-ins for the
 * system's tools, up to the point where it would start Bun.
 */
import { afterAll, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from './helpers/run'

const ROOT = join(import.meta.dir, '..')
/** The real tools the script uses besides those stood in for. */
const TOOLS = ['bash', 'env', 'dirname']
const scratch = mkdtempSync(join(tmpdir(), 'ci-run-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface Machine {
    uid: number
    /** Commands on the PATH, as empty stand-ins. */
    installed: string[]
    aptGet?: boolean
}

/** Runs a copy of `.ci/run` on `machine`, with its PATH only; returns its exit code, stderr and the commands it ran. */
const ciRun = async ({ uid, installed, aptGet = true }: Machine) => {
    const project = mkdtempSync(join(scratch, 'project-'))
    mkdirSync(join(project, '.ci'))
    copyFileSync(join(ROOT, '.ci/run'), join(project, '.ci/run'))
    const bin = join(project, 'bin')
    mkdirSync(bin)
    for (const tool of TOOLS) symlinkSync(Bun.which(tool) as string, join(bin, tool))
    const calls = join(project, 'calls')
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
    stub('id', `echo ${uid}`)
    stub('sudo', `echo "sudo $*" >> '${calls}'; exec "$@"`)
    if (aptGet) stub('apt-get', `echo "apt-get $*" >> '${calls}'`)
    for (const name of installed) stub(name, 'exit 0')
    // What follows the packages runs the suite: the stand-in for Bun stops the script there.
    stub('bun', 'exit 3')
    const { code, stderr } = await run(['bash', join(project, '.ci/run')], project, {
        PATH: bin,
        CHROMIUM_PATH: '',
        FIREFOX_PATH: ''
    })
    const ran = (await Bun.file(calls).exists()) ? (await Bun.file(calls).text()).trim().split('\n') : []
    return { code, stderr, ran }
}

const INSTALL = 'install -y --no-install-recommends'

test('as root, installs what is missing with apt-get', async () => {
    expect(await ciRun({ uid: 0, installed: ['wrk', 'openssl'] })).toEqual({
        code: 3,
        stderr: '',
        ran: ['apt-get update', `apt-get ${INSTALL} redis-server chromium firefox-esr`]
    })
})

test('as a user, through sudo; Google Chrome and `firefox` on the PATH are browsers the tests use', async () => {
    expect(await ciRun({ uid: 1001, installed: ['google-chrome', 'firefox', 'openssl'] })).toEqual({
        code: 3,
        stderr: '',
        ran: [
            'sudo apt-get update',
            'apt-get update',
            `sudo env DEBIAN_FRONTEND=noninteractive apt-get ${INSTALL} redis-server wrk`,
            `apt-get ${INSTALL} redis-server wrk`
        ]
    })
})

test('with everything there, installs nothing', async () => {
    expect(
        await ciRun({ uid: 1001, installed: ['redis-server', 'chromium-browser', 'firefox-esr', 'openssl', 'wrk'] })
    ).toEqual({
        code: 3,
        stderr: '',
        ran: []
    })
})

test('without apt-get, names what to install', async () => {
    expect(await ciRun({ uid: 0, installed: [], aptGet: false })).toEqual({
        code: 1,
        stderr: "Install redis-server chromium firefox-esr openssl wrk with this system's package manager (this script knows only apt-get), then run it again.\n",
        ran: []
    })
})
