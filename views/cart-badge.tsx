/**
 * The cart's item count in the navigation: on every page, and out of band after a cart action.
 */
import { Html } from '@kitajs/html'

interface CartBadgeProps {
    count: number
    /** Sent out of band, after a cart action. */
    oob?: boolean
    /** A cart action was accepted: play a short bump, though the count may be the same (an update to the same quantity). */
    bump?: boolean
}

/**
 * The nav's item count; cart actions send it again out of band.
 * @example <CartBadge count={3} oob bump />
 */
export const CartBadge = ({ count, oob = false, bump = false }: CartBadgeProps) => (
    <span
        id="cart-badge"
        class={bump ? 'badge badge-changed' : 'badge'}
        data-count={String(count)}
        hx-swap-oob={oob ? 'true' : undefined}
    >
        {count}
        <span class="visually-hidden"> {count === 1 ? 'item' : 'items'} in cart</span>
    </span>
)
