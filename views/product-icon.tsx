/**
 * The catalog's product drawings, inline SVG in the text's colour, so that they follow the theme.
 */
import { Html } from '@kitajs/html'

/** Line drawings on a 24-unit grid and a tint (1–6, see styles.css) per catalog product. */
const ART: Record<string, { drawing: string; tint: number }> = {
    mug: { drawing: 'M4 8h12v8a4 4 0 0 1-4 4H8a4 4 0 0 1-4-4zM16 10h2a2 2 0 0 1 0 4h-2M8 3v2M12 3v2', tint: 1 },
    notebook: {
        drawing: 'M6 3h12a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zM9 3v18M12 8h4M12 12h4',
        tint: 2
    },
    pen: { drawing: 'M15 4l5 5L10 19l-6 1 1-6zM13 6l5 5M4 20l5-5', tint: 3 },
    tote: { drawing: 'M5 9h14l-1.2 11H6.2zM9 9V7a3 3 0 0 1 6 0v2', tint: 4 },
    stickers: { drawing: 'M12 3l2.6 5.6 6 .7-4.5 4.1 1.2 6L12 16.4l-5.3 3 1.2-6-4.5-4.1 6-.7z', tint: 5 },
    poster: { drawing: 'M5 3h14v18H5zM8 9.5a2 2 0 1 0 4 0a2 2 0 1 0-4 0M5 17l5-5 4 4 2-2 3 3', tint: 6 }
}
const BOX = { drawing: 'M4 7l8-4 8 4v10l-8 4-8-4zM4 7l8 4 8-4M12 11v10', tint: 1 }

/**
 * The line drawing alone, decorative (the product's name says it all).
 * @example <ProductIcon productId="mug" />
 */
export const ProductIcon = ({ productId }: { productId: string }) => (
    <svg
        class="product-icon"
        viewBox="0 0 24 24"
        aria-hidden="true"
        focusable="false"
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linecap="round"
        stroke-linejoin="round"
    >
        <path d={(ART[productId] ?? BOX).drawing} />
    </svg>
)

/**
 * The drawing on its tinted tile; `size` picks the catalog card's or the cart line's.
 * @example <ProductArt productId="mug" size="large" />
 */
export const ProductArt = ({ productId, size }: { productId: string; size: 'large' | 'small' }) => (
    <div class={`product-art product-art-${size} tint-${(ART[productId] ?? BOX).tint}`}>
        <ProductIcon productId={productId} />
    </div>
)
