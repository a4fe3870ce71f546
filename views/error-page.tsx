/**
 * The page a failed page load or plain form post shows, and its Start over form.
 */
import { Html } from '@kitajs/html'
import { withBasePath } from '../server/base-path'
import { Layout } from './layout'

/** Where the Start over button posts (`server/routes/start-over.ts`). */
export const START_OVER_PATH = '/start-over'

export interface ErrorPageProps {
    title: string
    message: string
    /**
     * Offers a plain form that resets all of the user's state (`POST /start-over`): their way out of state that cannot be read.
     * @default false
     */
    startOver?: boolean
}

/**
 * What a page load or a plain form post that failed shows: an unknown address, the session
 * store down, a bug. It reads no state, since the store may be what failed and an unknown
 * address must not touch anyone's: the shell is a new visitor's (system theme, no cart badge).
 * @example <ErrorPage title="Page not found" message="There is no page at this address." />
 */
export const ErrorPage = ({ title, message, startOver = false }: ErrorPageProps) => (
    <Layout title={title} theme="system" pageId="">
        <div class="page-intro">
            <h1 safe>{title}</h1>
            <p class="lead" safe>
                {message}
            </p>
            {startOver && (
                <form method="post" action={withBasePath(START_OVER_PATH)}>
                    <button type="submit">Start over</button>
                </form>
            )}
            <p>
                <a href={withBasePath('/')}>Back to the home page</a>
            </p>
        </div>
    </Layout>
)
