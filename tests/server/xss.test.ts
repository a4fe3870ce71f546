/**
 * Values a user sends and the app shows again come back escaped: in a 404 message, in a
 * refused quantity kept in its field, in a refused theme, in a product id in the path, in
 * a signed-in name and a refused one kept in its field (as typed: an attribute's character
 * references are read by the browser).
 */
import { describe, expect, test } from 'bun:test'
import { PAGE_PARAM } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX, HTMX_FORM, NAVIGATE } from '../helpers/client'

const PAYLOAD = '"><script>alert(1)</script>'
const body = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

/** An attribute's value as a browser reads it: its character references decoded. */
const decodeAttribute = (raw: string) =>
    raw.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, name: string) => {
        const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
        if (name[0] !== '#') return named[name.toLowerCase()] as string
        const hex = name[1] === 'x' || name[1] === 'X'
        return String.fromCodePoint(hex ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1)))
    })

/** The `value` attribute of the field `id` in `html`, as a browser reads it. */
const fieldValue = (html: string, id: string) =>
    decodeAttribute(new RegExp(`<input id="${id}"[^>]* value="([^"]*)"`).exec(html)?.[1] ?? '')

/** No markup from the payload survives: only its escaped text. */
const expectEscaped = (html: string) => {
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).not.toContain('"><script')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
}

describe('user input is escaped where it is shown again', () => {
    test('an unknown product id, echoed in the 404 message (htmx and full page)', async () => {
        const user = client(testApp())
        const fragment = await user.post('/cart/items', HTMX_FORM, body({ productId: PAYLOAD }))
        expect(fragment.status).toBe(404)
        expectEscaped(await fragment.text())

        const page = await user.post('/cart/items', FORM_POST, body({ productId: PAYLOAD }))
        expect(page.status).toBe(404)
        expectEscaped(await page.text())
    })

    test('an unknown product id in the path', async () => {
        const response = await client(testApp()).post(`/cart/items/${encodeURIComponent(PAYLOAD)}/remove`, HTMX)
        expect(response.status).toBe(404)
        expectEscaped(await response.text())
    })

    test('a refused quantity: a number field shows only what looks like a number', async () => {
        const user = client(testApp())
        const page = await user.text('/cart', NAVIGATE)
        const pageId = /page_id=([^"&]+)/.exec(page)?.[1] as string
        await user.post('/cart/items', HTMX_FORM, body({ productId: 'mug' }))
        for (const headers of [HTMX_FORM, FORM_POST]) {
            const refused = await user.post(
                `/cart/items/mug?${PAGE_PARAM}=${pageId}`,
                headers,
                body({ quantity: PAYLOAD })
            )
            expect(refused.status).toBe(422)
            const html = await refused.text()
            expect(html).toMatch(/<input id="quantity-mug"[^>]* value=""/)
            expect(html).not.toContain('alert(1)')
        }
    })

    test('a refused theme, echoed in its message', async () => {
        const response = await client(testApp()).post('/theme', HTMX_FORM, body({ theme: PAYLOAD }))
        expect(response.status).toBe(422)
        expectEscaped(await response.text())
    })

    test('a signed-in name, shown on the account page', async () => {
        const user = client(testApp())
        await user.post('/account/sign-in', HTMX_FORM, body({ name: PAYLOAD }))
        expectEscaped(await user.text('/account', NAVIGATE))
    })

    test('a refused name kept in its field: its quotes are escaped, so the markup stays in the value', async () => {
        const tooLong = `${PAYLOAD}${'x'.repeat(40)}`
        const response = await client(testApp()).post('/account/sign-in', FORM_POST, body({ name: tooLong }))
        expect(response.status).toBe(422)
        const html = await response.text()
        expect(html).not.toContain('"><script')
        expect(fieldValue(html, 'account-name')).toBe(tooLong)
    })

    test('a refused name kept in its field comes back as typed: "&amp;" is not read as "&"', async () => {
        const tooLong = `R&amp;D &lt;team&gt; &#38; ${'x'.repeat(40)}`
        for (const headers of [HTMX_FORM, FORM_POST]) {
            const response = await client(testApp()).post('/account/sign-in', headers, body({ name: tooLong }))
            expect(response.status).toBe(422)
            expect(fieldValue(await response.text(), 'account-name')).toBe(tooLong)
        }
    })
})
