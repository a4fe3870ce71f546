/**
 * Accessibility audits with axe-core, run inside the page (the app's CSP stays on:
 * Playwright evaluates the script through the DevTools protocol, not as page script).
 */
import type { Page } from 'playwright-core'

const AXE_SOURCE = await Bun.file(Bun.resolveSync('axe-core/axe.min.js', import.meta.dir)).text()

/** WCAG 2.2 A and AA, and axe's best practices (landmarks, headings, one `main`...). */
const RULE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']

interface Violation {
    id: string
    impact: string | null
    help: string
    nodes: { target: string[]; failureSummary?: string }[]
}

/**
 * What axe finds wrong with the page as it is now, one line per rule and element: an empty
 * list when nothing is.
 *
 * @example
 * expect(await accessibilityViolations(page)).toEqual([])
 */
export const accessibilityViolations = async (page: Page): Promise<string[]> => {
    await page.evaluate(AXE_SOURCE)
    const violations = await page.evaluate(async (tags) => {
        const { axe } = window as unknown as {
            axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> }
        }
        return (await axe.run(document, { runOnly: { type: 'tag', values: tags } })).violations
    }, RULE_TAGS)
    return violations.flatMap((violation) =>
        violation.nodes.map(
            (node) => `${violation.id} (${violation.impact}): ${violation.help} at ${node.target.join(' ')}`
        )
    )
}
