/** The benchmark and the tests find the same Redis server: `redis-server`, else Valkey's `valkey-server`. */
import { afterAll, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisServerBinary } from '../../bench/redis'

const folders: string[] = []
afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/** A folder for `PATH` holding executables of these names. */
const pathWith = (...names: string[]) => {
    const folder = mkdtempSync(join(tmpdir(), 'redis-binary-'))
    folders.push(folder)
    for (const name of names) {
        writeFileSync(join(folder, name), '#!/bin/sh\n')
        chmodSync(join(folder, name), 0o755)
    }
    return folder
}

test('redis-server first, else valkey-server, else none', () => {
    const both = pathWith('redis-server', 'valkey-server')
    expect(redisServerBinary(both)).toBe(join(both, 'redis-server'))
    const valkey = pathWith('valkey-server')
    expect(redisServerBinary(valkey)).toBe(join(valkey, 'valkey-server'))
    expect(redisServerBinary(pathWith())).toBeNull()
})
