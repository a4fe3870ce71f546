/** The cart demo's products, defined in code. Prices are integer cents. */
export interface Product {
    id: string
    name: string
    description: string
    priceCents: number
}

export interface CartLine {
    productId: string
    quantity: number
}

export const PRODUCTS: readonly Product[] = [
    { id: 'mug', name: 'Enamel mug', description: 'Holds 350 ml of coffee, survives camping trips.', priceCents: 1800 },
    { id: 'notebook', name: 'Dot-grid notebook', description: 'A5, 160 pages of 100 g/m² paper.', priceCents: 1250 },
    { id: 'pen', name: 'Fountain pen', description: 'Steel nib, refillable converter included.', priceCents: 3400 },
    { id: 'tote', name: 'Canvas tote', description: 'Heavy cotton, long handles, inside pocket.', priceCents: 2200 },
    { id: 'stickers', name: 'Sticker pack', description: 'Twelve die-cut vinyl stickers.', priceCents: 600 },
    { id: 'poster', name: 'Risograph poster', description: 'A3, two colours, signed and numbered.', priceCents: 4500 }
]

const byId = new Map(PRODUCTS.map((product) => [product.id, product]))

export const findProduct = (id: string) => byId.get(id)

/** One formatter for the app: making one costs about 50 times as much as formatting with it. */
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })

export const formatMoney = (cents: number) => money.format(cents / 100)
