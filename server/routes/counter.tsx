/**
 * The spec's counter API, verbatim routes and fragments. `count` is not preserved:
 * each page load of each tab counts from 0.
 */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { CartBadge } from '../../views/cart-badge'
import { Count } from '../../views/counter'
import { cartCount } from '../cart'
import { answer, backToPage, isHtmx } from '../respond'
import { type AppState, COUNT_START } from '../state'
import { announceTheme } from './theme'

export const counterRoutes = (state: AppState) =>
    new Elysia({ name: 'counter-routes' })
        .use(state)
        .get('/api/count', ({ scopedStore }) => <Count value={scopedStore.count} />)
        .get('/api/increment', backToPage('/counter'))
        .get('/api/decrement', backToPage('/counter'))
        .get('/api/reset', backToPage('/counter'))
        .get('/api/full-reset', backToPage('/counter'))
        .post('/api/increment', (context) => {
            context.scopedStore.count++
            return answer(context, '/counter', () => <Count value={context.scopedStore.count} />)
        })
        .post('/api/decrement', (context) => {
            context.scopedStore.count--
            return answer(context, '/counter', () => <Count value={context.scopedStore.count} />)
        })
        .post('/api/reset', (context) => {
            // Resets count, keeps the preserved cart and theme.
            context.resetScopedStore()
            return answer(context, '/counter', () => <Count value={context.scopedStore.count} />)
        })
        .post('/api/full-reset', (context) => {
            // Ignores preserve: the cart and the theme go too, so an htmx page also gets its badge and theme.
            context.resetScopedStore(true)
            const { scopedStore, request } = context
            announceTheme(context, scopedStore.theme)
            // Every page's count is back at its start. Not read back: from a page whose session ended (signed
            // in or out in another tab) reading it is refused (409), which would undo a reset that works from
            // there over htmx (a plain form from there is refused by `answer`, which tells the user).
            return answer(context, '/counter', () => (
                <>
                    <Count value={COUNT_START} />
                    {isHtmx(request) ? <CartBadge count={cartCount(scopedStore.cart)} oob /> : ''}
                </>
            ))
        })
