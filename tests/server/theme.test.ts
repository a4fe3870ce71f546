/**
 * The theme demo through `app.handle`: a switch over htmx answers the picker and an
 * `HX-Trigger` the page applies at once; a plain form post redirects back; the next full
 * page load renders the theme into `<html data-theme>`; a bad value changes nothing.
 */
import { describe, expect, test } from 'bun:test'
import { PAGE_HEADER, PAGE_PARAM } from '../../plugins/scoped-state'
import { testApp } from '../helpers/app'
import { client, FORM_POST, HTMX_FORM, NAVIGATE, pageIdOf } from '../helpers/client'

const FORM = { ...FORM_POST, origin: 'http://localhost' }

type User = ReturnType<typeof client>

const openTheme = async (user: User) => {
    const page = await user.text('/theme', NAVIGATE)
    const pageId = pageIdOf(page)
    return { page, pageId, htmx: { ...HTMX_FORM, [PAGE_HEADER]: pageId } }
}

/** The theme a fresh page load renders into <html>. */
const themeOf = async (user: User, path = '/counter') =>
    /<html lang="en" data-theme="([^"]+)">/.exec(await user.text(path, NAVIGATE))?.[1]

/** A multipart body whose `theme` field is `value`. */
const multipart = (value: string) => {
    const body = new FormData()
    body.set('theme', value)
    return body
}

const pressed = (html: string) => [...html.matchAll(/value="(\w+)" aria-pressed="true"/g)].map((match) => match[1])

describe('theme demo', () => {
    test('a new visitor follows the system, with three buttons and System pressed', async () => {
        const { page } = await openTheme(client(testApp()))
        expect(page).toContain('<html lang="en" data-theme="system">')
        for (const label of ['Light', 'Dark', 'System']) expect(page).toContain(`>${label}</span></button>`)
        expect(pressed(page)).toEqual(['system'])
    })

    test('htmx: the picker comes back with the new choice pressed, and HX-Trigger tells the page', async () => {
        const user = client(testApp())
        const { htmx } = await openTheme(user)
        const response = await user.post('/theme', htmx, 'theme=dark')
        expect(response.status).toBe(200)
        expect(response.headers.get('vary')).toBe('HX-Request, Accept')
        expect(JSON.parse(response.headers.get('hx-trigger') as string)).toEqual({ 'theme-changed': { theme: 'dark' } })
        const fragment = await response.text()
        expect(fragment).toStartWith('<section id="theme-picker"')
        expect(fragment).not.toContain('<html')
        expect(pressed(fragment)).toEqual(['dark'])
        expect(fragment).toContain('hx-swap-oob="innerHTML">Theme: Dark.</p>')
        expect(await themeOf(user)).toBe('dark')
        expect(await themeOf(user, '/cart')).toBe('dark')
    })

    test('without JavaScript: 303 back to /theme with the page id, and the page comes back in the theme', async () => {
        const user = client(testApp())
        const { pageId } = await openTheme(user)
        const action = `/theme?${PAGE_PARAM}=${encodeURIComponent(pageId)}`
        const posted = await user.post(action, FORM, 'theme=light')
        expect(posted.status).toBe(303)
        expect(posted.headers.get('vary')).toBe('HX-Request, Accept')
        expect(posted.headers.get('hx-trigger')).toBeNull()
        expect(posted.headers.get('location')).toBe(action)
        const page = await user.text(posted.headers.get('location') as string, NAVIGATE)
        expect(page).toContain('<html lang="en" data-theme="light">')
        expect(pressed(page)).toEqual(['light'])
    })

    test('each user has their own theme', async () => {
        const app = testApp()
        const alice = client(app)
        const bob = client(app)
        await alice.post('/theme', HTMX_FORM, 'theme=dark')
        await bob.post('/theme', HTMX_FORM, 'theme=light')
        expect(await themeOf(alice)).toBe('dark')
        expect(await themeOf(bob)).toBe('light')
        expect(await themeOf(client(app))).toBe('system')
    })

    for (const [label, body, message] of [
        ['an unknown theme', 'theme=purple', '“purple” is not a theme: choose Light, Dark or System.'],
        // Repeated without its direction mark, which would show the message reversed, and cut short.
        [
            'a long one with a direction mark',
            `theme=${encodeURIComponent(`\u202E${'p'.repeat(50)}`)}`,
            `“${'p'.repeat(40)}…” is not a theme: choose Light, Dark or System.`
        ],
        // Cut between characters as a person counts them: an accent typed apart, a flag, a family emoji.
        [
            'a long one of characters of several code points',
            `theme=${encodeURIComponent(`${'e\u0301'.repeat(39)}🇫🇷👨‍👩‍👧`)}`,
            `“${'e\u0301'.repeat(39)}🇫🇷…” is not a theme: choose Light, Dark or System.`
        ],
        // One character of stacked accents is as long as it is sent: it is left out whole.
        [
            'one with a character of a thousand accents',
            `theme=${encodeURIComponent(`oke${'\u0301'.repeat(1000)}`)}`,
            '“ok…” is not a theme: choose Light, Dark or System.'
        ],
        // Nothing that would show before the cut: an ellipsis alone is no repeat of it.
        [
            'a character of a thousand accents alone',
            `theme=${encodeURIComponent(`e${'\u0301'.repeat(1000)}`)}`,
            'Choose Light, Dark or System.'
        ],
        [
            'forty invisible characters before a visible one',
            `theme=${encodeURIComponent(`${'\u200B'.repeat(40)}x`)}`,
            'Choose Light, Dark or System.'
        ],
        ['an empty theme', 'theme=', 'Choose Light, Dark or System.'],
        // Nothing of it would show between the quotes.
        [
            'a theme of invisible characters',
            `theme=${encodeURIComponent('\u202E\u200B \t')}`,
            'Choose Light, Dark or System.'
        ],
        ['no theme at all', '', 'Choose Light, Dark or System.'],
        // Not text: a multipart field Elysia reads as JSON, which used to answer 500 (String() of it threw).
        ['an object', multipart('{"toString":1}'), 'Choose Light, Dark or System.'],
        ['a list', multipart('["dark"]'), 'Choose Light, Dark or System.']
    ] as const) {
        test(`${label}: 422 with the message, theme unchanged`, async () => {
            const user = client(testApp())
            const { htmx, pageId } = await openTheme(user)
            await user.post('/theme', htmx, 'theme=dark')

            // A multipart body brings its own content type, with its boundary.
            const as = (headers: Record<string, string>) =>
                typeof body === 'string'
                    ? headers
                    : Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'))
            const refused = await user.post('/theme', as(htmx), body)
            expect(refused.status).toBe(422)
            expect(refused.headers.get('vary')).toBe('HX-Request, Accept')
            expect(refused.headers.get('hx-trigger')).toBeNull()
            const fragment = await refused.text()
            expect(fragment).toStartWith('<section id="theme-picker"')
            expect(fragment).toContain(`<p class="field-error" id="theme-error">${message}</p>`)
            // The buttons' group names the message as its description, which a screen reader reads with them.
            expect(fragment).toMatch(/<form [^>]*aria-describedby="theme-error"/)
            // Said out of band, so the same message again is heard again.
            expect(fragment).toContain(`hx-swap-oob="innerHTML">${message}</p>`)
            expect(pressed(fragment)).toEqual(['dark'])

            const page = await user.post(`/theme?${PAGE_PARAM}=${pageId}`, as(FORM), body)
            expect(page.status).toBe(422)
            const html = await page.text()
            expect(html).toStartWith('<!doctype html>')
            expect(html).toContain('id="theme-error"')
            expect(html).toContain('<title>Error: Theme · ')
            expect(await themeOf(user)).toBe('dark')
        })
    }
})
