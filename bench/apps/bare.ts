/**
 * The ceiling: the counter API's routes and fragments with no session layer, one
 * global counter for everybody.
 *
 * @example
 * bareApp().listen({ port: 0, hostname: '127.0.0.1' })
 */
import { Elysia } from 'elysia'

export const bareApp = () => {
    let count = 0
    return new Elysia()
        .get('/api/count', () => `<span id="count">${count}</span>`)
        .post('/api/increment', () => `<span id="count">${++count}</span>`)
}
