// Applies a theme change at once: the server answers a theme switch with an
// `HX-Trigger: {"theme-changed": {"theme": "dark"}}` header.
document.addEventListener('theme-changed', (event) => {
    document.documentElement.dataset.theme = event.detail.theme
})

// A request that succeeds clears the message a failed one left in the alert region.
document.addEventListener('htmx:after:request', (event) => {
    if (event.detail.ctx.response?.status < 400) document.getElementById('alerts')?.replaceChildren()
})

// A request that got no answer (offline, the server down or restarting, a timeout) has no
// message from the server: say so in the same place. One that was answered was told there.
document.addEventListener('htmx:error', (event) => {
    if (event.detail.ctx?.text !== undefined) return
    const notice = document.createElement('p')
    notice.className = 'notice notice-error'
    notice.textContent =
        'The server could not be reached, so this may not have been saved. Check your connection, then reload the page.'
    document.getElementById('alerts')?.replaceChildren(notice)
})
