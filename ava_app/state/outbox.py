"""The sandbox-only /dev/outbox page: mail and SMS that AVA "sent" without a provider."""

from __future__ import annotations

import reflex as rx

from ava_app.db import session_scope
from ava_app.services.outbox import list_messages, sandbox_channels
from ava_app.settings import get_settings


class OutboxState(rx.State):
    """The latest outbox messages, as plain dicts."""

    messages: list[dict] = []
    loaded: bool = False

    @rx.event
    def load_messages(self):
        """Load the latest 50 sandbox messages; in prod, or with every channel on a real provider, there is no page."""
        channels = sandbox_channels(get_settings())
        if not channels:
            return rx.redirect("/login")
        with session_scope() as session:
            self.messages = list_messages(session, channels=channels, limit=50)
        self.loaded = True
