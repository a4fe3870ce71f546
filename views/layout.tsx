/**
 * The shell of every page: `<head>` (styles, htmx, app.js), the header with the demos' nav and
 * cart badge, the alert region and the footer. Pages render through `Layout`, so the page id
 * reaches htmx from one place (`hx-headers:inherited` on `<body>`).
 */
import { Html, type PropsWithChildren } from '@kitajs/html'
import { PAGE_HEADER } from '../plugins/scoped-state'
import { APP_SCRIPT, HTMX_URL, STYLES } from '../server/assets'
import { withBasePath } from '../server/base-path'
import type { Theme } from '../server/state'
import { Alerts } from './alerts'
import { CartBadge } from './cart-badge'

/** The app's name: the header's brand and every page title's suffix. */
export const APP_NAME = 'Scoped State'

export type Section = 'counter' | 'cart' | 'theme' | 'account'

export interface ShellProps {
    /** The theme rendered into <html>, so the first paint already has it. */
    theme: Theme
    /** This page load's id: htmx requests from the page send it back. */
    pageId: string
    /** The cart badge's count; no badge on a page that reads no state (an error page). */
    cartCount?: number | undefined
}

interface LayoutProps extends ShellProps {
    title: string
    /** A form refused (422, 404): the title says so first, which is what a screen reader reads out. */
    refused?: boolean
    /** The nav entry marked current; none on pages outside the demos. */
    section?: Section
}

const NAV: { section: Section; href: string; label: string }[] = [
    { section: 'counter', href: '/counter', label: 'Counter' },
    { section: 'cart', href: '/cart', label: 'Cart' },
    { section: 'theme', href: '/theme', label: 'Theme' },
    { section: 'account', href: '/account', label: 'Account' }
]

/**
 * A nav entry. The cart's badge sits beside its link, not inside, so the link is named
 * just "Cart" and the count is its description; CSS stretches the link over the whole pill.
 */
const NavItem = ({
    item,
    current,
    cartCount
}: {
    item: (typeof NAV)[number]
    current: boolean
    cartCount: number | undefined
}) => {
    const badge = item.section === 'cart' && cartCount !== undefined
    return (
        <li class={current ? 'nav-item is-current' : 'nav-item'}>
            <a
                class="nav-link"
                href={withBasePath(item.href)}
                aria-current={current ? 'page' : undefined}
                aria-describedby={badge ? 'cart-badge' : undefined}
                safe
            >
                {item.label}
            </a>
            {badge ? <CartBadge count={cartCount} /> : ''}
        </li>
    )
}

/**
 * The shell of every page: header with the app name, the demos' nav and the cart badge, then the page, then the footer.
 * @example <Layout title="Cart" section="cart" {...shellProps(scopedStore, scopedPageId)}>…</Layout>
 */
export const Layout = ({
    title,
    refused = false,
    section,
    theme,
    pageId,
    cartCount,
    children
}: PropsWithChildren<LayoutProps>) => (
    <html lang="en" data-theme={theme}>
        <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="color-scheme" content="light dark" />
            {/* No page pushes URLs; htmx's history would refetch the page on Back from #main (Firefox). */}
            <meta name="htmx-config" content='{"history":false}' />
            <title safe>{`${refused ? 'Error: ' : ''}${title} · ${APP_NAME}`}</title>
            <link rel="icon" href={withBasePath('/public/favicon.svg')} type="image/svg+xml" />
            <link rel="stylesheet" href={withBasePath(STYLES.url)} />
            <script src={withBasePath(HTMX_URL)} defer />
            <script src={withBasePath(APP_SCRIPT.url)} defer />
        </head>
        <body hx-headers:inherited={JSON.stringify({ [PAGE_HEADER]: pageId })}>
            <a class="skip-link" href="#main">
                Skip to content
            </a>
            <header class="site-header">
                <div class="container site-header-inner">
                    <a class="brand" href={withBasePath('/')}>
                        <span class="brand-mark" aria-hidden="true" />
                        {Html.escapeHtml(APP_NAME)}
                    </a>
                    <nav class="site-nav" aria-label="Main">
                        <ul>
                            {NAV.map((item) => (
                                <NavItem item={item} current={item.section === section} cartCount={cartCount} />
                            ))}
                        </ul>
                    </nav>
                </div>
            </header>
            <main id="main" class="container" tabindex="-1">
                <Alerts />
                {children}
            </main>
            <footer class="site-footer">
                <div class="container">
                    <p>
                        A Bun + Elysia + htmx starter. Your state lives on the server, keyed by a signed session cookie:
                        nothing in localStorage, nothing shared with other visitors.
                    </p>
                </div>
            </footer>
        </body>
    </html>
)
