// TypeScript 5 cannot see import attributes: the files `server/assets.ts` and `server/live-reload.ts` import
// `with { type: 'file' }` are typed here as what Bun gives, their path.
declare module '*.css' {
    const path: string
    export default path
}

declare module '*.svg' {
    const path: string
    export default path
}

declare module '*/public/app.js' {
    const path: string
    export default path
}

declare module '*/live-reload.browser.js' {
    const path: string
    export default path
}

declare module 'htmx.org/dist/htmx.min.js' {
    const path: string
    export default path
}
