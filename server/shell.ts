/** What every full page's layout needs from the request's state. */
import type { ShellProps } from '../views/layout'
import { cartCount } from './cart'
import type { AppStore } from './state'

/**
 * @example <CartPage cart={scopedStore.cart} {...shellProps(scopedStore, scopedPageId)} />
 */
export const shellProps = (store: Pick<AppStore, 'theme' | 'cart'>, pageId: string): ShellProps => ({
    theme: store.theme,
    pageId,
    cartCount: cartCount(store.cart)
})
