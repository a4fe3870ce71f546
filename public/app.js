// Applies a theme change at once: the server answers a theme switch with an
// `HX-Trigger: {"theme-changed": {"theme": "dark"}}` header.
document.addEventListener('theme-changed', (event) => {
    document.documentElement.dataset.theme = event.detail.theme
})

// A request that succeeds clears the message a failed one left in the alert region.
document.addEventListener('htmx:after:request', (event) => {
    if (event.detail.ctx.response?.status < 400) document.getElementById('alerts')?.replaceChildren()
})
