/**
 * The account demo's page: the sign-in form, or who is signed in and the sign-out button.
 */
import { Html } from '@kitajs/html'
import { ActionForm } from './action-form'
import { Layout, type ShellProps } from './layout'
import { LiveStatus } from './live-status'

interface SignInProps {
    pageId: string
    /** Why the last name was refused, and the name as typed, to correct, with the box as it was left. */
    error?: string | undefined
    typed?: string | undefined
    remember?: boolean | undefined
}

/**
 * The sign-in form, `#account`: a refused name answers htmx with it again, message included.
 * @example <SignInForm pageId={scopedPageId} error="Enter a name to sign in with." />
 */
export const SignInForm = ({ pageId, error, typed, remember }: SignInProps) => (
    <section id="account" class="panel account" aria-labelledby="account-heading">
        <h2 id="account-heading">Sign in</h2>
        {/* novalidate: the server checks the name and answers with its message next to the field. */}
        {/* hx-sync="drop": a second submit while the first runs would sign in again, and its new cookie
            would be lost if the page the first answer loads is faster. */}
        <ActionForm
            path="/account/sign-in"
            pageId={pageId}
            target="#account"
            class="account-form"
            hx-sync="drop"
            novalidate
        >
            <label for="account-name">Name</label>
            <input
                id="account-name"
                type="text"
                name="name"
                autocomplete="username"
                required
                // Escaped here: @kitajs/html escapes only `"` in an attribute, so a typed `&amp;` would come back as `&`.
                value={typed === undefined ? undefined : Html.escapeHtml(typed)}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? 'account-error' : undefined}
            />
            <label class="remember">
                <input type="checkbox" name="remember" value="on" checked={remember} /> Keep me signed in after the
                browser closes
            </label>
            <button type="submit" class="button">
                Sign in
            </button>
        </ActionForm>
        {error ? (
            <p class="field-error" id="account-error" safe>
                {error}
            </p>
        ) : (
            ''
        )}
        <p class="hint">
            No password: this demo shows what an app calls once it has checked one. Leave the box unticked on a computer
            others use: the browser then forgets the session, cart and theme included, when it closes (unless it reopens
            the last session's tabs). Signing out always ends it.
        </p>
    </section>
)

const SignedIn = ({ username, pageId }: { username: string; pageId: string }) => (
    <section id="account" class="panel account" aria-labelledby="account-heading">
        <h2 id="account-heading">Signed in</h2>
        <p>
            {/* <bdi>: a name in a right-to-left script keeps its direction without turning the sentence around it. */}
            Signed in as{' '}
            <strong>
                <bdi safe>{username}</bdi>
            </strong>
            . Your cart and theme came with you.
        </p>
        {/* No target: the answer loads a page. */}
        <ActionForm path="/account/sign-out" pageId={pageId} hx-sync="drop">
            <button type="submit" class="button button-secondary">
                Sign out
            </button>
        </ActionForm>
        <p class="hint">Signing out deletes your state, the cart and theme included, and clears the cookie.</p>
    </section>
)

interface AccountPageProps extends ShellProps, Omit<SignInProps, 'pageId'> {
    username: string
}

/** The whole account page; also the no-JavaScript answer to a refused name (with its status code). */
export const AccountPage = ({ username, error, typed, remember, ...shell }: AccountPageProps) => (
    <Layout title="Account" refused={Boolean(error)} section="account" {...shell}>
        <div class="page-intro">
            <h1>Account</h1>
            <p class="lead">
                Signing in calls <code>regenerateScopedSession()</code>: a new session id, the old one dead at once (no
                session fixation), and what is kept with <code>preserve: true</code> carried over. Signing out calls{' '}
                <code>destroyScopedSession()</code>.
            </p>
        </div>
        {username ? (
            <SignedIn username={username} pageId={shell.pageId} />
        ) : (
            <>
                <SignInForm pageId={shell.pageId} error={error} typed={typed} remember={remember} />
                <LiveStatus id="account-status" />
            </>
        )}
    </Layout>
)
