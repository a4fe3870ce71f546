/**
 * htmx 4 attributes that @kitajs/html's bundled types (written for htmx 2) lack.
 * See ../shared/notes/htmx-4.md: attributes on <body> reach children only with the
 * `:inherited` suffix.
 */
declare namespace JSX {
    interface HtmlTag {
        'hx-headers:inherited'?: string
        'hx-target:inherited'?: string
        'hx-swap:inherited'?: string
        'hx-status:4xx'?: string
        'hx-status:422'?: string
        'hx-status:404'?: string
        'hx-disable'?: string | boolean
        'hx-ignore'?: boolean
    }
}
