/**
 * The form every demo action is: a plain POST that works without JavaScript, and that htmx
 * submits instead.
 */
import { Html, type PropsWithChildren } from '@kitajs/html'
import { withPageId } from '../plugins/scoped-state'
import { withBasePath } from '../server/base-path'

interface ActionFormProps extends Omit<JSX.HtmlFormTag, 'action' | 'method'> {
    /** Where the form posts, as the app's route names it: under `BASE_PATH` here. */
    path: string
    /** The page's id: the plain form's action carries it, so the page scope survives the redirect back. */
    pageId: string
    /** What htmx replaces with the answer; none when the answer loads a page (`HX-Redirect`). */
    target?: string
    /** Added to the plain form's action: a `#fragment`, which browsers keep across the redirect. */
    anchor?: string
}

/**
 * Every action of the demos: a real form that works without JavaScript, and that htmx
 * submits instead, swapping the answer over `target` (4xx answers too). Morphed, not
 * replaced: htmx 4 drops an answer whose target left the page, which a replaced target
 * does as soon as an earlier answer lands (a double-click, a click while a request runs).
 * @example <ActionForm path="/api/increment" pageId={pageId} target="#count"><button>+1</button></ActionForm>
 */
export const ActionForm = ({
    path,
    pageId,
    target,
    anchor = '',
    children,
    ...attributes
}: PropsWithChildren<ActionFormProps>) => (
    <form
        method="post"
        action={withPageId(withBasePath(path), pageId) + anchor}
        hx-post={withBasePath(path)}
        hx-target={target}
        hx-swap={target ? 'outerMorph' : undefined}
        {...attributes}
    >
        {children}
    </form>
)
