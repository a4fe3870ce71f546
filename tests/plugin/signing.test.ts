import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ScopedStateSetupError, scopedState } from '../../plugins/scoped-state'
import { client, NAVIGATE, sessionIdOf, setCookieOf } from '../helpers/client'
import { stateApp } from '../helpers/plugin-app'
import { run } from '../helpers/run'

const PLUGIN = join(import.meta.dir, '../../plugins/scoped-state')

const OLD = 'the-old-secret-that-is-32-bytes-long!'
const NEW = 'the-new-secret-that-is-32-bytes-long!'

/** A user of `app` with a count of 1. */
const userWithState = async (app: ReturnType<typeof stateApp>) => {
    const user = client(app)
    await user.post('/increment')
    return user
}

describe('signed session ids', () => {
    test('a page id reshaped into a session cookie (one secret signs both) is never adopted', async () => {
        const app = stateApp()
        // A page id signs `page.<sid>.<nonce>`, which reads as id `page` with times parseInt(sid, 36)
        // and parseInt(nonce, 36): far ahead when both start with 8 base-36 characters, so only the
        // shape of a session id refuses it.
        const far = /^[0-9a-z]{8}/i
        for (let tries = 0; tries < 100; tries++) {
            const user = client(app)
            const { page } = await (await user.get('/state', NAVIGATE)).json()
            const sid = sessionIdOf(user.cookie)
            const [nonce, signature] = page.split('.') as [string, string]
            if (!far.test(sid) || !far.test(nonce)) continue
            const forged = `user_session_id=page.${sid}.${nonce}.${signature}`
            const response = await client(app, forged).get('/count')
            expect(sessionIdOf(setCookieOf(response) ?? '')).toMatch(/^[\w-]{24}$/)
            return
        }
        throw new Error('no user with such ids in 100 tries')
    })

    test('every new visitor gets its own 144-bit id, across the random-byte blocks they are cut from', async () => {
        const app = stateApp()
        const ids: string[] = []
        // 600 ids of 18 bytes use up 2.6 blocks of 4 096 random bytes.
        for (let i = 0; i < 600; i++) {
            ids.push(sessionIdOf(setCookieOf(await app.handle(new Request('http://localhost/count')))))
        }
        for (const id of ids) expect(id).toMatch(/^[\w-]{24}$/)
        expect(new Set(ids).size).toBe(ids.length)
    })

    test('a tampered id, timestamp or signature, at its first or last character, gives a fresh session', async () => {
        const app = stateApp({ secret: OLD })
        const { cookie } = await userWithState(app)
        const [name, value] = cookie.split('=') as [string, string]
        const parts = value.split('.')
        const other = (character: string | undefined) => (character === 'a' ? 'b' : 'a')
        for (let index = 0; index < parts.length; index++) {
            const part = parts[index] as string
            for (const changed of [other(part[0]) + part.slice(1), part.slice(0, -1) + other(part.at(-1))]) {
                const tampered = parts.with(index, changed)
                const response = await client(app, `${name}=${tampered.join('.')}`).get('/count')
                expect(response.status).toBe(200)
                expect(await response.text()).toBe('0')
            }
        }
        expect(await client(app, cookie).text('/count')).toBe('1')
    })

    test('a timestamp moved later, to outlive the timeouts, breaks the signature', async () => {
        const app = stateApp({ secret: OLD })
        const { cookie } = await userWithState(app)
        const [name, value] = cookie.split('=') as [string, string]
        const [id, created, issued, signature] = value.split('.') as [string, string, string, string]
        const later = (time: string) => (Number.parseInt(time, 36) + 1).toString(36)
        for (const forged of [
            [id, later(created), issued, signature],
            [id, created, later(issued), signature]
        ])
            expect(await client(app, `${name}=${forged.join('.')}`).text('/count')).toBe('0')
    })

    test('an id signed with another secret gives a fresh session', async () => {
        const store = (await import('../../plugins/scoped-state')).memoryStore()
        const { cookie } = await userWithState(stateApp({ secret: OLD, store }))
        expect(await client(stateApp({ secret: NEW, store }), cookie).text('/count')).toBe('0')
    })

    test('rotation: the first secret signs, the old one still verifies', async () => {
        const store = (await import('../../plugins/scoped-state')).memoryStore()
        const before = await userWithState(stateApp({ secret: OLD, store }))
        const rotated = stateApp({ secret: [NEW, OLD], store })
        expect(await client(rotated, before.cookie).text('/count')).toBe('1')
        // New sessions are signed with the new secret only.
        const fresh = await userWithState(rotated)
        expect(await client(stateApp({ secret: NEW, store }), fresh.cookie).text('/count')).toBe('1')
        expect(await client(stateApp({ secret: OLD, store }), fresh.cookie).text('/count')).toBe('0')
        // Once the old secret is retired, its sessions start over.
        expect(await client(stateApp({ secret: NEW, store }), before.cookie).text('/count')).toBe('0')
    })
})

describe('the secret', () => {
    test('is required in production, with a clear message', () => {
        // It names the option: the plugin reads no environment variable itself.
        expect(() => scopedState({ count: { value: 0 } }, { production: true })).toThrow(
            'a secret is required in production: pass the `secret` option'
        )
        // Its own class, so an app tells a bad setup from a bug and stops with the message.
        expect(() => scopedState({ count: { value: 0 } }, { production: true })).toThrow(ScopedStateSetupError)
    })

    test('shorter than 32 bytes is refused in production; 32 bytes are enough', () => {
        expect(() => scopedState({ count: { value: 0 } }, { production: true, secret: 'x'.repeat(32) })).not.toThrow()
        // Bytes, not characters: 11 euro signs are 33 bytes.
        expect(() => scopedState({ count: { value: 0 } }, { production: true, secret: '€'.repeat(11) })).not.toThrow()
        expect(() => scopedState({ count: { value: 0 } }, { production: true, secret: 'x'.repeat(31) })).toThrow(
            'shorter than 32 bytes'
        )
        expect(() => scopedState({ count: { value: 0 } }, { production: true, secret: [NEW, 'short'] })).toThrow(
            'secret #2'
        )
    })

    test('shorter than 32 bytes in development: accepted, with a one-line warning once', async () => {
        // In a process of its own: the warning is once per process.
        const script = `
            import { scopedState } from ${JSON.stringify(PLUGIN)}
            for (let i = 0; i < 2; i++) scopedState({ count: { value: 0 } }, { production: false, secret: 'short' })
        `
        const { code, stderr } = await run([process.execPath, '-e', script], import.meta.dir, {
            NODE_ENV: 'development'
        })
        expect(code).toBe(0)
        expect(stderr.trim().split('\n')).toEqual([
            'scopedState: secret #1 is shorter than 32 bytes: production will refuse it.'
        ])
    })

    test('missing in development: one random secret per process, and a one-line warning once', async () => {
        // In a process of its own: the secret and the warning are the process's, not this test's.
        const script = `
            import { Elysia } from 'elysia'
            import { scopedState } from ${JSON.stringify(PLUGIN)}
            const module = (path) => new Elysia({ name: path })
                .use(scopedState({ count: { value: 0 } }, { production: false }))
                .post(path, ({ scopedStore }) => ++scopedStore.count)
            const app = new Elysia().use(module('/a')).use(module('/b'))
            let cookie = ''
            for (const path of ['/a', '/b', '/a']) {
                const response = await app.handle(new Request('http://localhost' + path, { method: 'POST', headers: { cookie } }))
                cookie = response.headers.get('set-cookie')?.split(';')[0] ?? cookie
                console.log(await response.text())
            }
        `
        const { code, stdout, stderr } = await run([process.execPath, '-e', script], import.meta.dir, {
            NODE_ENV: 'development'
        })
        expect(code).toBe(0)
        // Each module's instance accepts the cookie the other issued: one session throughout.
        expect(stdout.trim().split('\n')).toEqual(['1', '2', '3'])
        expect(stderr.trim().split('\n')).toEqual([
            'scopedState: no secret set, using a random one; sessions will not survive a restart, nor be known to other instances sharing the store.'
        ])
    })
})
