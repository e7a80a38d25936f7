"""Reflex configuration: app in console.app; data in CONSOLE_DATABASE_URL (not rx.Model)."""

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="console",
    app_module_import="console.app",
    show_built_with_reflex=False,
    telemetry_enabled=False,
    frontend_port=3000,
    backend_port=3000,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="light", accent_color="indigo",
                                                          radius="medium", scaling="95%"))],
)
