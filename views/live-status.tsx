/**
 * A hidden live region, through which screen readers hear what an action did.
 */
import { Html } from '@kitajs/html'

/**
 * A visually hidden live region outside the swapped area, so screen readers hear each
 * change; actions update it out of band.
 * @example <LiveStatus id="cart-status" message="Added Enamel mug." oob />
 */
export const LiveStatus = ({ id, message = '', oob = false }: { id: string; message?: string; oob?: boolean }) => (
    <p
        id={id}
        class="visually-hidden"
        role="status"
        aria-live="polite"
        hx-swap-oob={oob ? 'innerHTML' : undefined}
        safe
    >
        {message}
    </p>
)
