/**
 * The floor of any cookie session, as issue 8 describes it: a `derive` that reads the
 * `Cookie` header and looks its value up in a `Map`. No signature, no expiry, no
 * isolation of defaults, no bound on memory: a reference, not a session layer.
 *
 * @example
 * minimalApp().listen({ port: 0, hostname: '127.0.0.1' })
 */
import { Elysia } from 'elysia'

export const minimalApp = () => {
    const states = new Map<string, { count: number }>()
    return new Elysia()
        .derive({ as: 'scoped' }, function minimalSession({ request }) {
            const key = request.headers.get('cookie') ?? ''
            let state = states.get(key)
            if (!state) {
                state = { count: 0 }
                states.set(key, state)
            }
            return { state }
        })
        .get('/api/count', ({ state }) => `<span id="count">${state.count}</span>`)
        .post('/api/increment', ({ state }) => `<span id="count">${++state.count}</span>`)
}
