/**
 * The attributes views/html.d.ts adds to @kitajs/html's types: `bun run typecheck` compiles this
 * file, so it fails when a view could not write one.
 */
import { expect, test } from 'bun:test'
import { Html } from '@kitajs/html'

test('a textarea takes autocomplete="off", which docs/htmx-4.md asks of an autosaved draft', () => {
    const attributes: JSX.HtmlTextAreaTag = { name: 'draft', autocomplete: 'off' }
    expect(Html.createElement('textarea', attributes, 'typed')).toBe(
        '<textarea name="draft" autocomplete="off">typed</textarea>'
    )
})
