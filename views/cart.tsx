/**
 * The cart demo's page: the catalog, and the cart region that every cart action answers htmx
 * with (`CartUpdate`).
 */
import { Html, type PropsWithChildren } from '@kitajs/html'
import { type CartError, cartCount, MAX_QUANTITY, type PricedLine, priceCart } from '../server/cart'
import { type CartLine, formatMoney, PRODUCTS, type Product } from '../server/catalog'
import { ActionForm } from './action-form'
import { CartBadge } from './cart-badge'
import { Layout, type ShellProps } from './layout'
import { LiveStatus } from './live-status'
import { ProductArt, ProductIcon } from './product-icon'

/** A refused change, and whether to show it next to the cart line's quantity field or atop the cart. */
export interface CartProblem {
    error: CartError
    onLine: boolean
}

interface CartProps {
    cart: readonly CartLine[]
    pageId: string
    problem?: CartProblem
    /** What a plain form's change did, shown on the page its redirect loads (htmx users hear `CartUpdate`'s status). */
    notice?: string | null
}

interface CartFormProps {
    path: string
    pageId: string
    class?: string
    novalidate?: boolean
}

/**
 * Every cart action: its answer replaces `#cart`. Without JavaScript, the page that comes back
 * (the redirect's, or a refusal's) lands on the cart, which shows what changed or why not.
 */
const CartForm = ({ children, ...props }: PropsWithChildren<CartFormProps>) => (
    <ActionForm target="#cart" anchor="#cart" {...props}>
        {children}
    </ActionForm>
)

/** What a number field can show of a refused value: browsers blank anything else, so do we. */
const NUMBER_LIKE = /^[-+.\deE]{1,12}$/
const shownQuantity = (input: string) => (NUMBER_LIKE.test(input) ? input : '')

const linePath = (productId: string) => `/cart/items/${encodeURIComponent(productId)}`
const quantityErrorId = (productId: string) => `quantity-error-${productId}`

const ProductCard = ({ product, pageId }: { product: Product; pageId: string }) => (
    <li>
        <article class="product" aria-labelledby={`product-${product.id}`}>
            <ProductArt productId={product.id} size="large" />
            <h3 id={`product-${product.id}`} safe>
                {product.name}
            </h3>
            <p class="product-description" safe>
                {product.description}
            </p>
            <div class="product-buy">
                <span class="price" safe>
                    {formatMoney(product.priceCents)}
                </span>
                <CartForm path="/cart/items" pageId={pageId}>
                    <input type="hidden" name="productId" value={product.id} />
                    <input type="hidden" name="quantity" value="1" />
                    <button type="submit" class="button button-small" aria-describedby={`product-${product.id}`}>
                        Add to cart
                    </button>
                </CartForm>
            </div>
        </article>
    </li>
)

const LineRow = ({ line, pageId, problem }: { line: PricedLine; pageId: string; problem?: CartProblem }) => {
    const id = line.productId
    const error = problem?.onLine && problem.error.productId === id ? problem.error : undefined
    const nameId = `line-name-${id}`
    return (
        <li class="cart-line" data-cart-line={id}>
            <ProductArt productId={id} size="small" />
            <div class="cart-line-info">
                <p class="cart-line-name" id={nameId} safe>
                    {line.product.name}
                </p>
                <p class="cart-line-price" safe>
                    {`${formatMoney(line.product.priceCents)} each`}
                </p>
            </div>
            <p class="cart-line-subtotal" safe>
                {formatMoney(line.subtotalCents)}
            </p>
            <div class="cart-line-actions">
                {/* novalidate: the server checks the quantity and answers with its message next to the field. */}
                <CartForm path={linePath(id)} pageId={pageId} class="quantity-form" novalidate>
                    {/* The product in the name too: tabbing from field to field, "Quantity" alone does not say whose. */}
                    <label for={`quantity-${id}`}>
                        Quantity
                        <span class="visually-hidden" safe>{` of ${line.product.name}`}</span>
                    </label>
                    <input
                        id={`quantity-${id}`}
                        class="quantity-input"
                        type="number"
                        name="quantity"
                        min="1"
                        max={String(MAX_QUANTITY)}
                        step="1"
                        inputmode="numeric"
                        // Back renders the cart anew (no-store): the browser would put back a quantity typed and
                        // never sent, next to a total that does not count it. Off, the field shows what is held.
                        autocomplete="off"
                        required
                        // A refused value stays in the field, so the message next to it makes sense.
                        value={error?.kind === 'invalid-quantity' ? shownQuantity(error.input) : String(line.quantity)}
                        aria-invalid={error ? 'true' : undefined}
                        aria-describedby={error ? quantityErrorId(id) : undefined}
                    />
                    <button
                        type="submit"
                        id={`update-${id}`}
                        class="button button-secondary button-small"
                        aria-describedby={nameId}
                    >
                        Update
                    </button>
                </CartForm>
                <CartForm path={`${linePath(id)}/remove`} pageId={pageId}>
                    <button
                        type="submit"
                        id={`remove-${id}`}
                        class="button button-quiet button-small"
                        aria-describedby={nameId}
                    >
                        Remove
                    </button>
                </CartForm>
            </div>
            {error ? (
                <p class="field-error" id={quantityErrorId(id)} safe>
                    {error.message}
                </p>
            ) : (
                ''
            )}
        </li>
    )
}

/** A refused change that has no field on a cart line to sit next to: an unknown product, or a bad add. */
const CartNotice = ({ problem }: { problem: CartProblem }) => {
    const { error } = problem
    const id = error.kind === 'invalid-quantity' ? quantityErrorId(error.productId) : 'cart-error'
    const className = error.kind === 'invalid-quantity' ? 'notice notice-error field-error' : 'notice notice-error'
    return (
        <p class={className} id={id} safe>
            {error.message}
        </p>
    )
}

const EmptyCart = () => (
    <div class="empty-state">
        <ProductIcon productId="tote" />
        <p class="empty-state-title">Your cart is empty</p>
        <p class="empty-state-text">Add something from the products. It stays here across pages, refreshes and tabs.</p>
    </div>
)

const itemsLabel = (count: number) => `${count} ${count === 1 ? 'item' : 'items'}`

/**
 * The cart region, `#cart`: every cart action answers htmx with it (and the badge out of band).
 * @example <CartPanel cart={[{ productId: 'mug', quantity: 2 }]} pageId={scopedPageId} />
 */
const CartPanel = ({ cart, pageId, problem, notice }: CartProps) => {
    const { lines, totalCents } = priceCart(cart)
    const count = cartCount(cart)
    const onLine = problem?.onLine && lines.some((line) => line.productId === problem.error.productId)
    // tabindex="-1": public/app.js moves focus here when a swap removed the focused button (Remove,
    // Clear cart). Rendered, not added by the script: the next morph would remove it, and focus with it.
    return (
        <section id="cart" class="panel cart" aria-labelledby="cart-heading" tabindex="-1">
            <header class="cart-header">
                <h2 id="cart-heading">Your cart</h2>
                {lines.length > 0 ? (
                    <span class="cart-count" safe>
                        {itemsLabel(count)}
                    </span>
                ) : (
                    ''
                )}
            </header>
            {notice ? (
                <p class="notice notice-done" safe>
                    {notice}
                </p>
            ) : (
                ''
            )}
            {problem && !onLine ? <CartNotice problem={problem} /> : ''}
            {lines.length === 0 ? (
                <EmptyCart />
            ) : (
                <>
                    <ul class="cart-lines">
                        {lines.map((line) => (
                            <LineRow line={line} pageId={pageId} problem={problem} />
                        ))}
                    </ul>
                    <div class="cart-summary">
                        <p class="cart-total-row">
                            <span>Total</span>
                            <strong id="cart-total" safe>
                                {formatMoney(totalCents)}
                            </strong>
                        </p>
                        <CartForm path="/cart/clear" pageId={pageId}>
                            <button type="submit" id="cart-clear" class="button button-quiet button-small">
                                Clear cart
                            </button>
                        </CartForm>
                    </div>
                    <p class="hint">A demo shop: there is no checkout, and nothing is charged.</p>
                </>
            )}
        </section>
    )
}

// Worded apart from the page's own texts ("Your cart is empty"), so each text is found once on the page.
const summary = (cart: readonly CartLine[]) =>
    cart.length === 0
        ? 'No items left in the cart.'
        : `${itemsLabel(cartCount(cart))} in the cart, ${formatMoney(priceCart(cart).totalCents)} in total.`

/**
 * What htmx gets after a cart action: the cart, the nav badge, and what changed (or why not) for screen readers.
 * @example <CartUpdate cart={scopedStore.cart} pageId={scopedPageId} status="Cart cleared." />
 */
export const CartUpdate = ({ status, ...props }: CartProps & { status?: string }) => (
    <>
        <CartPanel {...props} />
        <CartBadge count={cartCount(props.cart)} oob bump={!props.problem} />
        <LiveStatus id="cart-status" message={`${status ?? props.problem?.error.message} ${summary(props.cart)}`} oob />
    </>
)

/** The whole cart page; also the no-JavaScript answer to a refused change (with its status code). */
export const CartPage = ({ cart, problem, notice, ...shell }: ShellProps & Omit<CartProps, 'pageId'>) => (
    <Layout title="Cart" refused={Boolean(problem)} section="cart" {...shell}>
        <div class="page-intro">
            <h1>Cart</h1>
            <p class="lead">
                Kept on the server with <code>preserve: true</code>: it survives refreshes, navigation and new tabs, and
                nobody else sees it. Try it with JavaScript off, too.
            </p>
        </div>
        {/* One queue for every cart action: each click counts, and answers land in the order they were asked. */}
        <div class="shop" hx-sync:inherited="closest .shop:queue all">
            <section class="catalog" aria-labelledby="catalog-heading">
                <h2 id="catalog-heading">Products</h2>
                <ul class="products">
                    {PRODUCTS.map((product) => (
                        <ProductCard product={product} pageId={shell.pageId} />
                    ))}
                </ul>
            </section>
            <CartPanel cart={cart} pageId={shell.pageId} problem={problem} notice={notice} />
        </div>
        <LiveStatus id="cart-status" />
    </Layout>
)
