/** Full pages. Each load starts a fresh page scope (see the plugin README). */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { CounterPage } from '../../views/counter'
import { HomePage } from '../../views/home'
import type { ShellProps } from '../../views/layout'
import { cartCount } from '../cart'
import type { AppState } from '../state'

export const pageRoutes = (state: AppState) =>
    new Elysia({ name: 'page-routes' })
        .use(state)
        .derive(({ scopedStore, scopedPageId }) => ({
            shell: {
                theme: scopedStore.theme,
                pageId: scopedPageId,
                cartCount: cartCount(scopedStore.cart)
            } satisfies ShellProps
        }))
        .get('/', ({ shell }) => <HomePage {...shell} />)
        .get('/counter', ({ shell, scopedStore }) => <CounterPage count={scopedStore.count} {...shell} />)
