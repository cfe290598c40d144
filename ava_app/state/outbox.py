"""The sandbox-only /dev/outbox page: mail and SMS that AVA "sent" without a provider."""

from __future__ import annotations

import reflex as rx

from ava_app.db import session_scope
from ava_app.services.outbox import list_messages
from ava_app.settings import get_settings


class OutboxState(rx.State):
    """The latest outbox messages, as plain dicts."""

    messages: list[dict] = []
    loaded: bool = False

    @rx.event
    def load_messages(self):
        """Load the latest 50 messages; outside sandbox mode the page does not exist."""
        if not get_settings().sandbox:
            return rx.redirect("/login")
        with session_scope() as session:
            self.messages = list_messages(session, limit=50)
        self.loaded = True
