import { Html } from '@kitajs/html'
import { withPageId } from '../plugins/scoped-state'
import { Layout, type ShellProps } from './layout'

/** The spec's fragment, exactly: `<span id="count">N</span>`. */
export const Count = ({ value }: { value: number }) => <span id="count">{value}</span>

const CounterButton = ({ path, label, pageId }: { path: string; label: string; pageId: string }) => (
    <form method="post" action={withPageId(path, pageId)} hx-post={path} hx-target="#count" hx-swap="outerHTML">
        <button type="submit" class="button" safe>
            {label}
        </button>
    </form>
)

export const CounterPage = ({ count, ...shell }: ShellProps & { count: number }) => (
    <Layout title="Counter" section="counter" {...shell}>
        <h1>Personal Counter</h1>
        <p class="lead">
            Your own count, kept on the server for this tab. Refresh the page and it starts again at 0; open a second
            tab and it counts on its own.
        </p>
        <div class="counter" aria-live="polite">
            Count:{' '}
            <span id="count" hx-get="/api/count" hx-trigger="load">
                {count}
            </span>
        </div>
        <div class="actions">
            <CounterButton path="/api/increment" label="+1" pageId={shell.pageId} />
            <CounterButton path="/api/decrement" label="-1" pageId={shell.pageId} />
            <CounterButton path="/api/reset" label="Reset" pageId={shell.pageId} />
            <CounterButton path="/api/full-reset" label="Full reset" pageId={shell.pageId} />
        </div>
        <p class="hint">Reset keeps your cart and theme; full reset clears everything.</p>
    </Layout>
)
