"""Builds the AVA app: the API, the pages, and the embedded job worker. Nothing else happens at import time."""

from __future__ import annotations

import contextlib

import reflex as rx

from ava_app.api.app import create_api
from ava_app.pages.dashboard import dashboard_page
from ava_app.pages.login import login_page
from ava_app.pages.outbox import outbox_page
from ava_app.state.auth import AuthState
from ava_app.state.i18n import I18nState
from ava_app.state.outbox import OutboxState


@contextlib.asynccontextmanager
async def job_worker():
    """Run the job queue's consumer inside this process for the app's lifetime (single-process mode)."""
    from ava_app.jobs import start_embedded_worker, stop_embedded_worker
    from ava_app.settings import get_settings

    embedded = get_settings().embedded_worker
    if embedded:
        start_embedded_worker()
    try:
        yield
    finally:
        if embedded:
            stop_embedded_worker()


def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")


app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.el.meta(name="description", content="AVA, the AI receptionist for small businesses.")],
)
app.register_lifespan_task(job_worker)

PUBLIC = [I18nState.detect_language, AuthState.redirect_if_logged_in]
SIGNED_IN = [I18nState.detect_language, AuthState.require_login]

app.add_page(index, route="/", title="AVA", on_load=PUBLIC)
app.add_page(login_page, route="/login", title="AVA · Log in", on_load=PUBLIC)
app.add_page(dashboard_page, route="/dashboard", title="AVA · Dashboard", on_load=SIGNED_IN)
app.add_page(
    outbox_page,
    route="/dev/outbox",
    title="AVA · Dev outbox",
    on_load=[I18nState.detect_language, OutboxState.load_messages],
)
