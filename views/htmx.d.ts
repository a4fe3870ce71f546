/**
 * htmx 4 attributes the views use that @kitajs/html's bundled types (written for
 * htmx 2) lack. See docs/htmx-4.md: attributes reach children only with
 * the `:inherited` suffix.
 */
declare namespace JSX {
    interface HtmlTag {
        'hx-headers:inherited'?: string
        'hx-swap:inherited'?: string
        'hx-sync:inherited'?: string
    }
}
