/**
 * The counter demo's page, and the spec's `#count` fragment its routes answer with.
 */
import { Html } from '@kitajs/html'
import { withBasePath } from '../server/base-path'
import { ActionForm } from './action-form'
import { Layout, type ShellProps } from './layout'

/** The spec's fragment, exactly: `<span id="count">N</span>`. */
export const Count = ({ value }: { value: number }) => <span id="count">{value}</span>

interface CounterButtonProps {
    path: string
    label: string
    pageId: string
    /** A class of styles.css: `button` alone, or with `button-secondary` or `button-quiet`. */
    look?: string
}

const CounterButton = ({ path, label, pageId, look = 'button' }: CounterButtonProps) => (
    <ActionForm path={path} pageId={pageId} target="#count">
        <button type="submit" class={look} safe>
            {label}
        </button>
    </ActionForm>
)

export const CounterPage = ({ count, ...shell }: ShellProps & { count: number }) => (
    <Layout title="Counter" section="counter" {...shell}>
        <div class="page-intro">
            <h1>Personal Counter</h1>
            <p class="lead">
                Your own count, kept on the server for this page. Refresh it or go to another page, and it starts again
                at 0; open a second tab and it counts on its own.
            </p>
        </div>
        {/* One queue for the panel's requests, the load-time count's too: their answers land in the order they were asked. */}
        <section class="panel counter-panel" aria-label="Counter" hx-sync:inherited="closest .counter-panel:queue all">
            {/* The spec's markup loads the count into #count; inheriting outerMorph keeps that from nesting a second #count. */}
            {/* aria-atomic: a screen reader says "Count 3", not a bare "3". */}
            <p class="counter" aria-live="polite" aria-atomic="true" hx-swap:inherited="outerMorph">
                <span class="counter-label">Count</span>
                <span id="count" hx-get={withBasePath('/api/count')} hx-trigger="load">
                    {count}
                </span>
            </p>
            <div class="actions">
                <CounterButton path="/api/decrement" label="-1" pageId={shell.pageId} look="button button-secondary" />
                <CounterButton path="/api/increment" label="+1" pageId={shell.pageId} />
            </div>
            <div class="actions actions-quiet">
                <CounterButton path="/api/reset" label="Reset" pageId={shell.pageId} look="button button-quiet" />
                <CounterButton
                    path="/api/full-reset"
                    label="Full reset"
                    pageId={shell.pageId}
                    look="button button-quiet"
                />
            </div>
            <p class="hint">Reset keeps your cart and theme; full reset clears everything.</p>
        </section>
    </Layout>
)
