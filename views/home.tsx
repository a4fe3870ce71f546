import { Html } from '@kitajs/html'
import { Layout, type ShellProps } from './layout'

const DEMOS = [
    {
        href: '/counter',
        title: 'Counter',
        text: 'A count per tab that resets when you reload: state without preserve.'
    },
    { href: '/cart', title: 'Cart', text: 'A cart that follows you across pages and tabs: preserve: true.' },
    { href: '/theme', title: 'Theme', text: 'Light, dark or system, rendered on the server with no flash.' }
]

export const HomePage = (shell: ShellProps) => (
    <Layout title="Home" section="home" {...shell}>
        <h1>Stateful htmx on Bun</h1>
        <p class="lead">
            Every visitor gets their own server-side state, keyed by a signed session cookie and typed from a schema.
            Try the demos in two browsers: nothing leaks between them.
        </p>
        <ul class="cards">
            {DEMOS.map((demo) => (
                <li class="card">
                    <h2>
                        <a href={demo.href} safe>
                            {demo.title}
                        </a>
                    </h2>
                    <p safe>{demo.text}</p>
                </li>
            ))}
        </ul>
    </Layout>
)
