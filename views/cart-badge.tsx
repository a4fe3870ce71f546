import { Html } from '@kitajs/html'

/** The nav's item count; cart actions send it again out of band. */
export const CartBadge = ({ count, oob = false }: { count: number; oob?: boolean }) => (
    <span id="cart-badge" class="badge" hx-swap-oob={oob ? 'true' : undefined}>
        {count}
        <span class="visually-hidden"> items in cart</span>
    </span>
)
