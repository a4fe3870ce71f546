import { Html } from '@kitajs/html'

interface CartBadgeProps {
    count: number
    /** Sent out of band, after a cart action. */
    oob?: boolean
    /** The count changed: play a short bump. */
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
