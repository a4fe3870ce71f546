/**
 * What `server/respond.ts` puts in headers, through `app.handle`: an `HX-Trigger` event's text in
 * any language reaches htmx whole, where Bun refuses a header value beyond Latin-1.
 */
import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { triggerHeader } from '../../server/respond'

describe('triggerHeader', () => {
    test('an event carrying text in any script arrives whole, as htmx parses it', async () => {
        const events = { 'cart-changed': { message: '追加しました 🙂 — أُضيف — Ajouté' } }
        const app = new Elysia().post('/', ({ set }) => {
            set.headers['hx-trigger'] = triggerHeader(events)
            return ''
        })
        const response = await app.handle(new Request('http://localhost/', { method: 'POST' }))
        expect(response.status).toBe(200)
        const header = response.headers.get('hx-trigger') ?? ''
        expect(header).toMatch(/^[\x20-\x7e]+$/)
        expect(JSON.parse(header)).toEqual(events)
    })
})
