/** Full pages. Each load starts a fresh page scope (see the plugin guide, plugins/scoped-state/GUIDE.md). */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { CounterPage } from '../../views/counter'
import { HomePage } from '../../views/home'
import { shellProps } from '../shell'
import type { AppState } from '../state'

export const pageRoutes = (state: AppState) =>
    new Elysia({ name: 'page-routes' })
        .use(state)
        .get('/', ({ scopedStore, scopedPageId }) => <HomePage {...shellProps(scopedStore, scopedPageId)} />)
        .get('/counter', ({ scopedStore, scopedPageId }) => (
            <CounterPage count={scopedStore.count} {...shellProps(scopedStore, scopedPageId)} />
        ))
