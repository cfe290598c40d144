"""The organisation's own Vapi webhook secret on /settings/integrations: when it was made, and replacing it (admins)."""

from __future__ import annotations

import reflex as rx

from ava_app.services import webhook_secrets
from ava_app.services.webhook_secrets import WebhookSecretStatus
from ava_app.state.auth import AuthState


class WebhookSecretState(AuthState):
    """Dates of the webhook secret only: the secret itself never reaches the browser."""

    since: str = ""
    previous_until: str = ""
    confirm_open: bool = False
    rotating: bool = False

    @rx.event
    async def load_webhook_secret(self):
        """Read when the current secret was made and until when a replaced one is accepted (admins only)."""
        call = await self._call_async(lambda s, p: webhook_secrets.webhook_secret_status(s, principal=p))
        self._show(WebhookSecretStatus() if call.refused else call.value)
        return call.event

    @rx.event
    def ask_rotate(self):
        self.confirm_open = True

    @rx.event
    def cancel_rotate(self, _open: bool = False):
        self.confirm_open = False

    @rx.event
    async def rotate_webhook_secret(self):
        """Replace the secret; the service checks the caller is an admin and queues the push to Vapi."""
        self.confirm_open, self.rotating = False, True
        yield
        call = await self._call_async(
            lambda s, p: webhook_secrets.rotate_webhook_secret(s, principal=p), busy="rotating"
        )
        if call.refused:
            yield call.event
            return
        self._show(call.value)
        yield rx.toast.success(self._text("webhook_secret.rotated"))

    def _show(self, status: WebhookSecretStatus) -> None:
        self.since = self._local_time(status.since) if status.since else ""
        self.previous_until = self._local_time(status.previous_until) if status.previous_until else ""

    def _text(self, key: str) -> str:
        from ava_app.i18n import translate

        return translate(key, self.lang or "en")
