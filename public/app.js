// Applies a theme change at once: the server answers a theme switch with an
// `HX-Trigger: {"theme-changed": {"theme": "dark"}}` header.
document.addEventListener('theme-changed', (event) => {
    document.documentElement.dataset.theme = event.detail.theme
})
