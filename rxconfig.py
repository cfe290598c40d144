"""Reflex configuration, derived from AVA's settings (ava_app/settings.py): port, and Redis for state at scale."""

import reflex as rx

from ava_app.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="ava_app",
    frontend_port=settings.port,
    backend_port=settings.port,
    redis_url=settings.redis_url or None,
    cors_allowed_origins=settings.allowed_origins,
    # The security headers middleware reads each page's inline scripts through this one encoding.
    frontend_compression_formats=["gzip"],
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="violet", gray_color="slate", radius="large", scaling="100%"),
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
