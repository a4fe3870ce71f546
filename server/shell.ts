/** What every full page's layout needs from the request's state. */
import type { ShellProps } from '../views/layout'
import { cartCount } from './cart'
import type { CartLine } from './catalog'
import type { Theme } from './state'

/**
 * @example <CartPage cart={scopedStore.cart} {...shellProps(scopedStore, scopedPageId)} />
 */
export const shellProps = (store: { theme: Theme; cart: readonly CartLine[] }, pageId: string): ShellProps => ({
    theme: store.theme,
    pageId,
    cartCount: cartCount(store.cart)
})
