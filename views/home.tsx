/**
 * The home page: a card per demo.
 */
import { Html } from '@kitajs/html'
import { withBasePath } from '../server/base-path'
import { Layout, type ShellProps } from './layout'

const DEMOS = [
    {
        href: '/counter',
        title: 'Counter',
        tag: 'per tab',
        text: 'A count for this page only. Reload or leave it and it starts again at 0; a second tab counts on its own.'
    },
    {
        href: '/cart',
        title: 'Cart',
        tag: 'preserve: true',
        text: 'A cart that follows you across pages, refreshes and tabs, and stays private to you.'
    },
    {
        href: '/theme',
        title: 'Theme',
        tag: 'preserve: true',
        text: 'Light, dark or system, rendered by the server into the page, so it never flashes.'
    },
    {
        href: '/account',
        title: 'Account',
        tag: 'regenerate · destroy',
        text: 'Sign in and out: a new session id at login, your cart kept; everything deleted at logout.'
    }
]

export const HomePage = (shell: ShellProps) => (
    <Layout title="Home" {...shell}>
        <div class="page-intro">
            <h1>Stateful htmx on Bun</h1>
            <p class="lead">
                Every visitor gets their own server-side state, keyed by a signed session cookie and typed from a
                schema. Try the demos in two browsers: nothing leaks between them. They all work with JavaScript off.
            </p>
        </div>
        <ul class="cards">
            {DEMOS.map((demo) => (
                <li class="card">
                    <h2>
                        <a href={withBasePath(demo.href)} safe>
                            {demo.title}
                        </a>
                    </h2>
                    <p safe>{demo.text}</p>
                    <code class="card-tag" safe>
                        {demo.tag}
                    </code>
                </li>
            ))}
        </ul>
    </Layout>
)
