/**
 * Child process: serves one benchmark app on a free loopback port, prints
 * `{"port":N}` once listening, and stops on SIGTERM or when stdin closes.
 *
 * @example
 * bun bench/serve.ts memory '{}'
 */
import { createVariant, VARIANTS, type Variant, type VariantOptions } from './apps/variants'

const [variant, json = '{}'] = process.argv.slice(2)
if (!VARIANTS.includes(variant as Variant)) throw new Error(`unknown variant ${variant}`)

const app = await createVariant(variant as Variant, JSON.parse(json) as VariantOptions)
app.listen({ port: 0, hostname: '127.0.0.1' })
console.log(JSON.stringify({ port: app.server?.port }))

const stop = async () => {
    await app.stop()
    process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
