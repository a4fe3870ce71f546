/**
 * The page's alert region and its messages: where a failed request says what happened.
 */
import { Html } from '@kitajs/html'

/** The id of the page's alert region, where a failed htmx request says what happened (`server/errors.tsx`). */
export const ALERTS_ID = 'alerts'

/**
 * The page's alert region: empty until an htmx request fails, outside every area a
 * request swaps, so the error cannot take the place of what the next click updates.
 * @example <Alerts />
 */
export const Alerts = () => <div id={ALERTS_ID} role="alert" />

/**
 * A failed request's message, for the alert region.
 * @example <Alert message="Nothing was changed." />
 */
export const Alert = ({ message }: { message: string }) => (
    <p class="notice notice-error" safe>
        {message}
    </p>
)
