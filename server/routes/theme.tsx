/**
 * The theme demo. `theme` is preserved, and every full page renders it into
 * `<html data-theme>`; a switch over htmx also tells the page through `HX-Trigger`,
 * which public/app.js applies at once.
 */
import { Html } from '@kitajs/html'
import { type Context, Elysia } from 'elysia'
import { LiveStatus } from '../../views/live-status'
import { ThemePage, ThemePicker, themeLabel } from '../../views/theme'
import { answer, fieldsOf, isHtmx, refuse, triggerHeader } from '../respond'
import { shellProps } from '../shell'
import { type AppState, THEMES, type Theme } from '../state'
import { echoed } from '../user-text'

/**
 * Tells an htmx page to apply `theme` at once (public/app.js listens). Only htmx acts on it: a
 * plain form's page and a script get the theme another way.
 */
export const announceTheme = ({ request, set }: { request: Request; set: Context['set'] }, theme: Theme) => {
    if (isHtmx(request)) set.headers['hx-trigger'] = triggerHeader({ 'theme-changed': { theme } })
}

const isTheme = (value: unknown): value is Theme => (THEMES as readonly unknown[]).includes(value)

/** Only a string is echoed back: anything else (a JSON or multipart object) may not even convert to one. */
const refusal = (value: unknown) => {
    const shown = typeof value === 'string' ? echoed(value) : ''
    return shown === '' ? 'Choose Light, Dark or System.' : `“${shown}” is not a theme: choose Light, Dark or System.`
}

export const themeRoutes = (state: AppState) =>
    new Elysia({ name: 'theme-routes' })
        .use(state)
        .get('/theme', ({ scopedStore, scopedPageId }) => <ThemePage {...shellProps(scopedStore, scopedPageId)} />)
        .post('/theme', (context) => {
            const { scopedStore: store, scopedPageId: pageId } = context
            const value = fieldsOf(context.body).theme
            if (!isTheme(value)) {
                const error = refusal(value)
                return refuse(
                    context,
                    422,
                    () => <ThemePage error={error} {...shellProps(store, pageId)} />,
                    // Said in #theme-status too, as the account's refusal is: a repeat is heard again.
                    () => (
                        <>
                            <ThemePicker theme={store.theme} pageId={pageId} error={error} />
                            <LiveStatus id="theme-status" message={error} oob />
                        </>
                    )
                )
            }
            store.theme = value
            announceTheme(context, value)
            return answer(context, '/theme', () => (
                <>
                    <ThemePicker theme={value} pageId={pageId} />
                    <LiveStatus id="theme-status" message={`Theme: ${themeLabel(value)}.`} oob />
                </>
            ))
        })
