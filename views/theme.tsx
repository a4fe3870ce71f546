/**
 * The theme demo's page: the picker that every theme change answers htmx with, and the palette.
 */
import { Html } from '@kitajs/html'
import type { Theme } from '../server/state'
import { ActionForm } from './action-form'
import { Layout, type ShellProps } from './layout'
import { LiveStatus } from './live-status'

const CHOICES: { theme: Theme; label: string }[] = [
    { theme: 'light', label: 'Light' },
    { theme: 'dark', label: 'Dark' },
    { theme: 'system', label: 'System' }
]

/** Names a theme for people: `themeLabel('dark')` is 'Dark'. */
export const themeLabel = (theme: Theme) => CHOICES.find((choice) => choice.theme === theme)?.label ?? theme

interface PickerProps {
    theme: Theme
    pageId: string
    /** Why the last choice was refused. */
    error?: string
}

/**
 * The three theme buttons, `#theme-picker`: one form, the pressed button's value is the choice.
 * @example <ThemePicker theme="dark" pageId={scopedPageId} />
 */
export const ThemePicker = ({ theme, pageId, error }: PickerProps) => (
    <section id="theme-picker" class="panel theme-picker" aria-labelledby="theme-heading">
        <h2 id="theme-heading">Appearance</h2>
        <ActionForm
            path="/theme"
            pageId={pageId}
            target="#theme-picker"
            // Clicked while a choice is on its way, the last choice follows it; the ones between are skipped.
            hx-sync="queue last"
            class="theme-options"
            aria-labelledby="theme-heading"
            aria-describedby={error ? 'theme-error' : undefined}
        >
            {CHOICES.map((choice) => (
                <button
                    type="submit"
                    id={`theme-${choice.theme}`}
                    class="theme-option"
                    name="theme"
                    value={choice.theme}
                    aria-pressed={choice.theme === theme ? 'true' : 'false'}
                >
                    <span class={`theme-thumb theme-thumb-${choice.theme}`} aria-hidden="true">
                        <span />
                        <span />
                        <span />
                    </span>
                    <span class="theme-option-label" safe>
                        {choice.label}
                    </span>
                </button>
            ))}
        </ActionForm>
        {error ? (
            <p class="field-error" id="theme-error" safe>
                {error}
            </p>
        ) : (
            ''
        )}
        <p class="hint">
            System follows your device’s light or dark setting and changes with it. Your choice is saved on the server,
            so every page is drawn in it from the first paint.
        </p>
    </section>
)

const SWATCHES = [
    { token: 'bg', label: 'Background' },
    { token: 'surface', label: 'Surface' },
    { token: 'text', label: 'Text' },
    { token: 'muted', label: 'Muted text' },
    { token: 'accent', label: 'Accent' },
    { token: 'danger', label: 'Error' }
]

const Palette = () => (
    <section class="panel palette" aria-labelledby="palette-heading">
        <h2 id="palette-heading">Palette</h2>
        <p class="hint">These follow the theme: every colour in the app comes from one of them.</p>
        <ul class="swatches">
            {SWATCHES.map((swatch) => (
                <li class="swatch">
                    <span class={`swatch-chip swatch-${swatch.token}`} aria-hidden="true" />
                    <span safe>{swatch.label}</span>
                </li>
            ))}
        </ul>
    </section>
)

/** The whole theme page; also the no-JavaScript answer to a refused choice (with its status code). */
export const ThemePage = ({ error, ...shell }: ShellProps & { error?: string }) => (
    <Layout title="Theme" refused={Boolean(error)} section="theme" {...shell}>
        <div class="page-intro">
            <h1>Theme</h1>
            <p class="lead">
                Light, dark, or whatever your device prefers. Kept with <code>preserve: true</code>, so it follows you
                to every page and tab, and only you.
            </p>
        </div>
        <div class="theme-layout">
            <ThemePicker theme={shell.theme} pageId={shell.pageId} error={error} />
            <Palette />
        </div>
        <LiveStatus id="theme-status" />
    </Layout>
)
