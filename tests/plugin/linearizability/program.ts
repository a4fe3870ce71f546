/**
 * What a request of the linearizability test does: a small program of steps (reads, increments,
 * appends, overwrites, resets, a login or logout, and awaits between them), run by the app's
 * handler on `scopedStore` and by the checker on its model of the state alike. Two steps act on
 * no state of the request's own: one records its session's id (`scopedSessionId()`), the other
 * ends an id another client recorded (`endScopedSession(id)`); the handler records both, with
 * when they ran, for the checker.
 */
import { Elysia } from 'elysia'
import { type ScopedContext, type ScopedStateOptions, scopedState } from '../../../plugins/scoped-state'
import { SECRET } from '../../helpers/plugin-app'

export const setup = {
    count: { value: 0 },
    tags: { value: [] as string[] },
    theme: { value: 'none', preserve: true },
    cart: { value: [] as string[], preserve: true }
}
export type Key = keyof typeof setup
/** Keys of the (default) page scope; the others are preserved, in the session scope. */
export const PAGE_KEYS: readonly Key[] = ['count', 'tags']
export const KEYS: readonly Key[] = ['count', 'tags', 'theme', 'cart']
export const initial = (key: Key): unknown => structuredClone(setup[key].value)

/** An await: a microtask, a turn of the event loop, or a sleep of 1 to 3 ms. */
export type Pause = { do: 'tick' } | { do: 'turn' } | { do: 'sleep'; ms: number }
export type Step =
    | Pause
    | { do: 'read'; key: Key }
    /** Reads `count` (seen), writes it plus one. */
    | { do: 'inc' }
    /** Writes `count` without reading it. */
    | { do: 'setCount'; value: number }
    | { do: 'theme'; value: string }
    /** Reads the list (seen), appends to it in place. */
    | { do: 'push'; key: 'tags' | 'cart'; value: string }
    | { do: 'reset'; all: boolean }
    | { do: 'login' }
    | { do: 'logout' }
    /** `scopedSessionId()`, kept as the latest id of the request's client. */
    | { do: 'record' }
    /** Awaits `endScopedSession` of the latest id `client` recorded (none yet: nothing). */
    | { do: 'end'; client: number }

/** What a program acts on: the plugin's `scopedStore` and functions, or the checker's model. */
export interface Target {
    get(key: Key): unknown
    set(key: Key, value: unknown): void
    reset(all: boolean): void
    login(): void
    logout(): void
}

const isPause = (step: Step): step is Pause => step.do === 'tick' || step.do === 'turn' || step.do === 'sleep'
/** Whether the handler awaits: at a pause, or for an end (the store's promise, on Redis). */
export const hasPause = (steps: Step[]) => steps.some((step) => isPause(step) || step.do === 'end')

/** Runs one step that is not a pause; what it read goes to `saw`, as JSON then. */
export const perform = (step: Step, target: Target, saw: unknown[]) => {
    switch (step.do) {
        case 'read':
            saw.push(structuredClone(target.get(step.key)))
            return
        case 'inc': {
            const count = target.get('count') as number
            saw.push(count)
            target.set('count', count + 1)
            return
        }
        case 'setCount':
            return target.set('count', step.value)
        case 'theme':
            return target.set('theme', step.value)
        case 'push': {
            const list = target.get(step.key) as string[]
            saw.push([...list])
            list.push(step.value)
            return
        }
        case 'reset':
            return target.reset(step.all)
        case 'login':
            return target.login()
        case 'logout':
            return target.logout()
        // The handlers run these themselves; to the model, they do nothing.
        case 'record':
        case 'end':
            return
    }
}

/** Runs `steps` without awaiting (the checker, and handlers Elysia runs synchronously). */
export const runNow = (steps: Step[], target: Target) => {
    const saw: unknown[] = []
    for (const step of steps) if (!isPause(step)) perform(step, target, saw)
    return saw
}

const pause = (step: Pause) =>
    step.do === 'tick'
        ? Promise.resolve()
        : step.do === 'turn'
          ? new Promise<void>((resolve) => setImmediate(resolve))
          : Bun.sleep(step.ms)

/** An `endScopedSession(id)` that returned: when it was called and when it returned. */
export interface End {
    id: string
    /** The op whose handler ended it. */
    by: string
    called: number
    returned: number
}

/** The client an op id (`c<client>.<n>`) belongs to. */
const clientOf = (op: string) => Number(op.slice(1, op.indexOf('.')))

/**
 * What handlers record of each request, by its `x-op` header (so also of one refused after its
 * handler ran, with 409): what it saw, when it first touched its state and when its handler
 * returned, on the clock the history's start and end times are read from; the page id a page
 * load was given; the ids it recorded, in order; and the ends it made.
 */
export class Recorder {
    time = 0
    saw = new Map<string, unknown[]>()
    touched = new Map<string, number>()
    handled = new Map<string, number>()
    /** `scopedPageId`: a page load's new page. */
    pages = new Map<string, string>()
    recorded = new Map<string, string[]>()
    /** Each client's latest recorded id: what an end of that client ends. */
    latest = new Map<number, string>()
    ends: End[] = []
    tick = () => ++this.time
    record(op: string, id: string) {
        this.recorded.set(op, [...(this.recorded.get(op) ?? []), id])
        this.latest.set(clientOf(op), id)
    }
}

type Context = ScopedContext<typeof setup> & { request: Request }

const targetOf = ({ scopedStore, resetScopedStore, regenerateScopedSession, destroyScopedSession }: Context) => ({
    get: (key: Key) => scopedStore[key],
    set: (key: Key, value: unknown) => {
        ;(scopedStore as Record<Key, unknown>)[key] = value
    },
    reset: (all: boolean) => resetScopedStore(all),
    login: () => regenerateScopedSession(),
    logout: () => destroyScopedSession()
})

const stepsOf = (request: Request) => JSON.parse(request.headers.get('x-steps') ?? '[]') as Step[]

/**
 * An app taking programs in the `x-steps` header: `GET /now` runs them in a synchronous handler
 * (Elysia then runs load, handler and save without a break), `GET /later` in one that awaits.
 * GET, with no body to parse, so that `/now` stays synchronous.
 */
export const programApp = (options: ScopedStateOptions<typeof setup>, recorder: Recorder) =>
    new Elysia()
        .use(scopedState(setup, { secret: SECRET, ...options }))
        .get('/now', (context) => {
            const op = context.request.headers.get('x-op') ?? ''
            const steps = stepsOf(context.request)
            recorder.touched.set(op, recorder.tick())
            const target = targetOf(context)
            const saw: unknown[] = []
            for (const step of steps)
                if (step.do === 'record') recorder.record(op, context.scopedSessionId())
                else perform(step, target, saw)
            recorder.saw.set(op, saw)
            recorder.pages.set(op, context.scopedPageId)
            recorder.handled.set(op, recorder.tick())
            return saw
        })
        .get('/later', async (context) => {
            const op = context.request.headers.get('x-op') ?? ''
            const target = targetOf(context)
            const saw: unknown[] = []
            for (const step of stepsOf(context.request))
                if (isPause(step)) await pause(step)
                else if (step.do === 'record') recorder.record(op, context.scopedSessionId())
                else if (step.do === 'end') {
                    const id = recorder.latest.get(step.client)
                    if (id === undefined) continue
                    const called = recorder.tick()
                    await context.endScopedSession(id)
                    recorder.ends.push({ id, by: op, called, returned: recorder.tick() })
                } else {
                    if (!recorder.touched.has(op)) recorder.touched.set(op, recorder.tick())
                    perform(step, target, saw)
                }
            recorder.saw.set(op, saw)
            recorder.pages.set(op, context.scopedPageId)
            recorder.handled.set(op, recorder.tick())
            return saw
        })
