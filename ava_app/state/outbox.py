"""The dev-only /dev/outbox page: mail and SMS that AVA "sent" without a provider."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.services.dev_access import may_read_dev_outbox
from ava_app.services.messaging.outbox import list_messages, sandbox_channels
from ava_app.settings import get_settings
from ava_app.state.auth import AuthState


class OutboxState(AuthState):
    """The latest outbox messages, as plain dicts; ``refused`` when the caller may not read them."""

    messages: list[dict] = []
    loaded: bool = False
    refused: bool = False

    def _may_read(self) -> bool:
        """The machine AVA runs on, or a signed-in platform admin: the outbox holds live login links."""
        router = self.router
        headers = dict(router.headers.raw_headers) if router and router.headers else {}
        client_ip = router.session.client_ip if router and router.session else ""
        if may_read_dev_outbox(client_ip=client_ip, headers=headers, principal=None):
            return True
        return may_read_dev_outbox(client_ip="", headers=headers, principal=self._principal_or_none())

    @rx.event
    def load_messages(self):
        """Load the latest 50 sandbox messages; in prod, or with every channel on a real provider, there is no page."""
        channels = sandbox_channels(get_settings())
        if not channels:
            return rx.redirect(routes.LOGIN)
        self.messages, self.refused = [], False
        if not self._may_read():
            self.refused = self.loaded = True
            return None
        with session_scope() as session:
            self.messages = list_messages(session, channels=channels, limit=50)
        self.loaded = True
        return None
