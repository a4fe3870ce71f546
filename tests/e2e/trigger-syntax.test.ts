/**
 * Two `hx-trigger`s that htmx 2 took and htmx 4.0.1 does not (docs/htmx-4.md): a `from:` whose
 * selector has a space reads as its first word unless quoted, and listens to nothing; a filter
 * (`keyup[key=='Escape']`) is code, which the template's CSP refuses to run.
 */
import { expect } from 'bun:test'
import { expectText } from './expect'
import { browserTest, e2eSuite, fixtureServer } from './harness'

e2eSuite(
    'hx-trigger in htmx 4',
    (e2e) => {
        browserTest('from: a selector with a space fires only when quoted', async () => {
            const page = await e2e.openPage('/')
            const sent: string[] = []
            page.on('request', (request) => sent.push(new URL(request.url()).pathname))
            await page.getByLabel('Name').press('a')
            // Both listeners ran on the same keyup: by the quoted one's answer, the other's request was made.
            await expectText(page.locator('#quoted-answer'), 'quoted fired')
            expect(sent).toEqual(['/fired/quoted'])
        })

        browserTest("a filter is refused by the app's CSP, and its request never sent", async () => {
            const context = await e2e.newContext()
            // The harness fails a test on any script error or CSP report: this one expects them.
            context.removeAllListeners('weberror')
            context.removeAllListeners('console')
            const page = await context.newPage()
            await page.goto('/')
            const sent: string[] = []
            page.on('request', (request) => sent.push(new URL(request.url()).pathname))
            const [refused] = await Promise.all([
                page.waitForEvent('pageerror'),
                page.getByLabel('Search').press('Escape')
            ])
            expect(refused.message).toContain("'unsafe-eval' is not an allowed source")
            expect(sent).toEqual([])
        })
    },
    fixtureServer('trigger-app.ts')
)
