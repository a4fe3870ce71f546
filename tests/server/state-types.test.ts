/**
 * The demo's setup as `peekScopedSession` types it: `bun run typecheck` compiles this file, so a
 * setup whose `preserve` widens to `boolean` (declared apart from `scopedState()`) fails the build,
 * as it would make every key optional in both scopes of another session's state (an admin page).
 */
import { expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import type { CartLine } from '../../server/catalog'
import { appState, type Theme } from '../../server/state'
import { client } from '../helpers/client'
import { SECRET } from '../helpers/plugin-app'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_: T) => {}

test("another session's state reads with the demo's preserved keys in session and the others in each page", async () => {
    const app = new Elysia().use(appState({ secret: SECRET })).get('/', async ({ peekScopedSession }) => {
        const seen = await peekScopedSession('A'.repeat(24))
        assertType<
            Equal<
                typeof seen,
                | {
                      session: { cart: CartLine[]; theme: Theme; username: string }
                      pages: { count: number; notice: string | null }[]
                  }
                | undefined
            >
        >(true)
        return seen === undefined ? 'none' : 'some'
    })
    expect(await client(app).text('/')).toBe('none')
})
