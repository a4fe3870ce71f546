/**
 * `POST /start-over`: the way out of state this version of the app cannot read (saved by a
 * newer one during a deploy or before a rollback, or a `migrate` that fails), which the error
 * page offers as a plain form. Every key goes, preserved ones too, and the home page loads
 * afresh. It belongs to no demo, so that removing them all keeps it.
 */
import { Elysia } from 'elysia'
import { START_OVER_PATH } from '../../views/error-page'
import { backToPage, reload } from '../respond'
import type { AppState } from '../state'

export const startOverRoutes = (state: AppState) =>
    new Elysia({ name: 'start-over-routes' })
        .use(state)
        .get(START_OVER_PATH, backToPage('/'))
        .post(START_OVER_PATH, (context) => {
            context.resetScopedStore(true)
            return reload(context, '/')
        })
