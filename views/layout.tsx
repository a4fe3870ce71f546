import { Html, type PropsWithChildren } from '@kitajs/html'
import { PAGE_HEADER } from '../plugins/scoped-state'
import type { Theme } from '../server/state'
import { CartBadge } from './cart-badge'

export type Section = 'home' | 'counter' | 'cart' | 'theme'

export interface ShellProps {
    /** The theme rendered into <html>, so the first paint already has it. */
    theme: Theme
    /** This page load's id: htmx requests from the page send it back. */
    pageId: string
    cartCount: number
}

interface LayoutProps extends ShellProps {
    title: string
    section: Section
}

const NAV: { section: Section; href: string; label: string }[] = [
    { section: 'counter', href: '/counter', label: 'Counter' },
    { section: 'cart', href: '/cart', label: 'Cart' },
    { section: 'theme', href: '/theme', label: 'Theme' }
]

export const Layout = ({ title, section, theme, pageId, cartCount, children }: PropsWithChildren<LayoutProps>) => (
    <html lang="en" data-theme={theme}>
        <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <meta name="color-scheme" content="light dark" />
            <title safe>{title} · Scoped State</title>
            <link rel="stylesheet" href="/public/styles.css" />
            <script src="/vendor/htmx-4.0.1.min.js" defer />
            <script src="/public/app.js" defer />
        </head>
        <body hx-headers:inherited={JSON.stringify({ [PAGE_HEADER]: pageId })}>
            <a class="skip-link" href="#main">
                Skip to content
            </a>
            <header class="site-header">
                <a class="brand" href="/">
                    Scoped State
                </a>
                <nav aria-label="Demos">
                    <ul>
                        {NAV.map((item) => (
                            <li>
                                <a href={item.href} aria-current={item.section === section ? 'page' : undefined}>
                                    <span safe>{item.label}</span>
                                    {item.section === 'cart' ? <CartBadge count={cartCount} /> : ''}
                                </a>
                            </li>
                        ))}
                    </ul>
                </nav>
            </header>
            <main id="main">{children}</main>
            <footer class="site-footer">
                <p>Bun + Elysia + htmx starter. Your state lives on the server, keyed by a signed session cookie.</p>
            </footer>
        </body>
    </html>
)
