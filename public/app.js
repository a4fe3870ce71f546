// Applies a theme change at once: the server answers a theme switch with an
// `HX-Trigger: {"theme-changed": {"theme": "dark"}}` header.
document.addEventListener('theme-changed', (event) => {
    document.documentElement.dataset.theme = event.detail.theme
})

// A request that succeeds clears the message a failed one left in the alert region.
document.addEventListener('htmx:after:request', (event) => {
    if (event.detail.ctx.response?.status < 400) document.getElementById('alerts')?.replaceChildren()
})

// A request that went out and got no answer (offline, the server down or restarting, a
// timeout) has no message from the server: say so in the same place. One that was answered
// was told there; other errors are the page's own, which htmx logs.
document.addEventListener('htmx:error', (event) => {
    const { ctx, error } = event.detail
    const unanswered = error instanceof TypeError || ctx?.request?.signal?.reason === 'timeout'
    if (!ctx || ctx.text !== undefined || !unanswered) return
    const notice = document.createElement('p')
    notice.className = 'notice notice-error'
    notice.textContent =
        'The server could not be reached, so this may not have been saved. Check your connection, then reload the page.'
    document.getElementById('alerts')?.replaceChildren(notice)
})

// A swap that removed the focused control (Remove, Clear cart) would leave keyboard users
// on <body>, at the top of the page: they go on from the region that was updated instead.
let focusedBeforeSwap = null
document.addEventListener('htmx:before:swap', () => {
    focusedBeforeSwap = document.activeElement
})
document.addEventListener('htmx:after:swap', (event) => {
    const region = event.detail.ctx?.target
    const lost = focusedBeforeSwap !== document.body && focusedBeforeSwap?.isConnected === false
    focusedBeforeSwap = null
    if (!lost || !region?.isConnected || document.activeElement !== document.body) return
    if (!region.hasAttribute('tabindex')) region.setAttribute('tabindex', '-1')
    region.focus({ preventScroll: true })
})
