/**
 * The cart demo. `cart` is preserved: it outlives page loads and is shared by the user's
 * tabs. Each action answers htmx with the cart region and the nav badge, a plain form
 * post with a redirect back to /cart, which then says what changed (`notice`); a refused
 * change keeps the cart as it was.
 */
import { Html } from '@kitajs/html'
import { Elysia } from 'elysia'
import { CartPage, CartUpdate } from '../../views/cart'
import { addToCart, type CartChange, removeFromCart, setQuantity } from '../cart'
import { type AnswerContext, answer, backToPage, fieldsOf, redirectsInPage, refuse } from '../respond'
import { shellProps } from '../shell'
import type { AppState, AppStore } from '../state'

interface ActionContext extends AnswerContext {
    scopedStore: AppStore
}

// Path parameters too: Elysia gives `null` for one that is not valid percent-encoding.
const text = (value: unknown) => (typeof value === 'string' ? value : '')

/**
 * Stores an accepted change and answers; a refused one answers 404 or 422 with the message.
 * `onLine`: show a quantity message next to the cart line's field rather than atop the cart.
 */
const apply = (context: ActionContext, change: CartChange, done: string, onLine = false) => {
    const { scopedStore: store, scopedPageId: pageId } = context
    if (change.ok) {
        store.cart = change.cart
        const status = change.product ? `${change.product.name}: ${change.note ?? done}` : done
        if (redirectsInPage(context)) store.notice = status
        return answer(context, '/cart', () => <CartUpdate cart={change.cart} pageId={pageId} status={status} />)
    }
    const problem = { error: change.error, onLine }
    return refuse(
        context,
        change.error.kind === 'unknown-product' ? 404 : 422,
        () => <CartPage cart={store.cart} problem={problem} {...shellProps(store, pageId)} />,
        () => <CartUpdate cart={store.cart} pageId={pageId} problem={problem} />
    )
}

export const cartRoutes = (state: AppState) =>
    new Elysia({ name: 'cart-routes' })
        .use(state)
        .get('/cart', ({ scopedStore, scopedPageId }) => {
            // Said once: read only in a page's own scope, where alone it is kept (a page id that no longer
            // holds would fail the read: StalePageError), and cleared, so that a reload does not repeat it.
            const notice = scopedPageId ? scopedStore.notice : null
            if (notice !== null) scopedStore.notice = null
            return <CartPage cart={scopedStore.cart} notice={notice} {...shellProps(scopedStore, scopedPageId)} />
        })
        .get('/cart/items', backToPage('/cart'))
        .get('/cart/items/:productId', backToPage('/cart'))
        .get('/cart/items/:productId/remove', backToPage('/cart'))
        .get('/cart/clear', backToPage('/cart'))
        .post('/cart/items', (context) => {
            const { productId, quantity } = fieldsOf(context.body)
            return apply(context, addToCart(context.scopedStore.cart, text(productId), quantity), 'added.')
        })
        .post('/cart/items/:productId', (context) => {
            const { quantity } = fieldsOf(context.body)
            const change = setQuantity(context.scopedStore.cart, text(context.params.productId), quantity)
            return apply(context, change, 'quantity updated.', true)
        })
        .post('/cart/items/:productId/remove', (context) =>
            apply(context, removeFromCart(context.scopedStore.cart, text(context.params.productId)), 'removed.')
        )
        .post('/cart/clear', (context) => apply(context, { ok: true, cart: [] }, 'Cart cleared.'))
