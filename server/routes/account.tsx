/**
 * The account demo: what an app calls at login and logout. Signing in (a name, no password)
 * calls `regenerateScopedSession()`: a new session id, the old one deleted, preserved keys
 * (cart, theme) carried over, unless another name was signed in; its cookie outlives the
 * browser only when "Keep me signed in" is ticked (`persistent`). Signing out calls
 * `destroyScopedSession()`: the state is deleted and the cookie cleared. Both answer with a
 * fresh load of /account (htmx: `HX-Redirect`; a plain form: 303), since the page's id
 * belonged to the session that ended.
 */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { AccountPage, SignInForm } from '../../views/account'
import { LiveStatus } from '../../views/live-status'
import { backToPage, fieldsOf, refuse, reload } from '../respond'
import { shellProps } from '../shell'
import type { AppState } from '../state'
import { CONTROL, characters, VISIBLE } from '../user-text'

const MAX_NAME_LENGTH = 40
/**
 * The longest a trimmed name may arrive (UTF-16 units), checked before it is normalized: 6 units a
 * character, which the widest code point NFC makes (U+16126, from three astral ones) takes. A name
 * of wider characters (emoji joined into one: a family is 11 units) fits fewer of them.
 * Normalizing reorders combining marks in quadratic time: 30,000 of them, a 60 KB JSON body, held
 * the server (every other request) for 3 s.
 */
const MAX_TYPED_LENGTH = MAX_NAME_LENGTH * 6

/**
 * Counted as a person counts: this holds across NFC too, which turns some single characters into
 * two code points (U+0958 "क़" into "क" and a nukta), so a name is never refused as longer than it was typed.
 */
const characterCount = (text: string) => [...characters.segment(text)].length

/**
 * The name to sign in with, trimmed and in one Unicode form (NFC: "é" typed as one character
 * or as "e" and an accent is one name), or why it is refused.
 */
const checkName = (value: unknown): { name: string } | { error: string } => {
    // Spaces around it go anyway (a pasted name): only what is left must fit.
    const typed = typeof value === 'string' ? value.trim() : ''
    if (typed.length > MAX_TYPED_LENGTH) return { error: `Use at most ${MAX_NAME_LENGTH} characters.` }
    // A lone surrogate (from JSON) is no character at all.
    const name = typed.isWellFormed() ? typed.normalize('NFC') : ''
    if (!VISIBLE.test(name)) return { error: 'Enter a name to sign in with.' }
    if (CONTROL.test(name)) return { error: 'Use no control characters (tabs, line breaks, direction marks).' }
    if (characterCount(name) > MAX_NAME_LENGTH) return { error: `Use at most ${MAX_NAME_LENGTH} characters.` }
    return { name }
}

export const accountRoutes = (state: AppState) =>
    new Elysia({ name: 'account-routes' })
        .use(state)
        .get('/account', ({ scopedStore, scopedPageId }) => (
            <AccountPage username={scopedStore.username} {...shellProps(scopedStore, scopedPageId)} />
        ))
        .get('/account/sign-in', backToPage('/account'))
        .get('/account/sign-out', backToPage('/account'))
        .post('/account/sign-in', (context) => {
            const { scopedStore: store, scopedPageId: pageId } = context
            const fields = fieldsOf(context.body)
            const typed = fields.name
            const remember = fields.remember === 'on'
            const checked = checkName(typed)
            if ('error' in checked) {
                const shown = typeof typed === 'string' ? typed : ''
                return refuse(
                    context,
                    422,
                    () => (
                        <AccountPage
                            username=""
                            error={checked.error}
                            typed={shown}
                            remember={remember}
                            {...shellProps(store, pageId)}
                        />
                    ),
                    // The message is said in #account-status too: the same message twice morphs into
                    // nothing new, which a screen reader would not hear again.
                    () => (
                        <>
                            <SignInForm pageId={pageId} error={checked.error} typed={shown} remember={remember} />
                            <LiveStatus id="account-status" message={checked.error} oob />
                        </>
                    )
                )
            }
            // Already signed in under this name: a form sent twice. A second new id would be lost if
            // the browser left for the first answer's page before this answer came.
            if (store.username !== checked.name) {
                // Another person signing in on this browser (a tab still showing the form) gets
                // nothing of the signed-in one's: no cart, no theme.
                if (store.username !== '') context.resetScopedStore(true)
                context.regenerateScopedSession({ persistent: remember })
                store.username = checked.name
            }
            return reload(context, '/account')
        })
        .post('/account/sign-out', (context) => {
            context.destroyScopedSession()
            return reload(context, '/account')
        })
