/**
 * A form added to the template draws its fields as the demo's text field (`public/styles.css`):
 * every kind of field the browser draws as a box, dates and times included.
 */
import { expect } from 'bun:test'
import { browserTest, e2eSuite } from './harness'

const BOXED = [
    '',
    'email',
    'number',
    'password',
    'search',
    'tel',
    'url',
    'date',
    'datetime-local',
    'month',
    'time',
    'week'
]
const DRAWN = [
    'borderTopColor',
    'borderTopLeftRadius',
    'paddingTop',
    'minHeight',
    'backgroundColor',
    'fontFamily'
] as const

e2eSuite('form fields', (e2e) => {
    browserTest('each boxed field, select and textarea, is drawn as the text field', async () => {
        const page = await e2e.openPage('/')
        const drawn = await page.evaluate(
            ({ types, properties }) => {
                const look = (field: HTMLElement) => {
                    document.body.append(field)
                    const style = getComputedStyle(field)
                    return properties.map((property) => style[property]).join(' | ')
                }
                const input = (type: string) => {
                    const field = document.createElement('input')
                    if (type) field.type = type
                    return field
                }
                const fields: Record<string, string> = {}
                for (const type of [...types, 'text']) fields[type || 'untyped'] = look(input(type))
                fields.select = look(document.createElement('select'))
                fields.textarea = look(document.createElement('textarea'))
                return fields
            },
            { types: BOXED, properties: [...DRAWN] }
        )
        const { text, ...others } = drawn
        expect(others).toEqual(Object.fromEntries(Object.keys(others).map((kind) => [kind, text as string])))
    })
})
