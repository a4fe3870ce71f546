/** Cart rules, apart from HTTP: totals, and changes that keep the cart valid. */
import type { CartLine } from './catalog'

export const MAX_QUANTITY = 99

export const cartCount = (cart: readonly CartLine[]) => cart.reduce((sum, line) => sum + line.quantity, 0)
