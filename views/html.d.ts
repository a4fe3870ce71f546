/**
 * HTML attributes that @kitajs/html 4.2.13's types lack and the docs ask for. `autocomplete="off"`
 * keeps Chromium from putting typed text back into a `<textarea>` of a page rendered anew on Back,
 * where its new page scope does not hold it (docs/htmx-4.md, an autosaved draft).
 */
declare namespace JSX {
    interface HtmlTextAreaTag {
        autocomplete?: undefined | string
    }
}
