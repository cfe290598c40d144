"""/settings/notifications: the signed-in member's own choices of how they hear about calls."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import notification_settings
from ava_app.services.notification_settings import PER_CALL_MODES
from ava_app.state.auth import AuthState


class NotificationsState(AuthState):
    """The per-call email choice and the daily digest switch, loaded on page load and saved together."""

    per_call: str = "every"
    digest: bool = False
    notify_loaded: bool = False
    notify_failed: bool = False
    notify_busy: bool = False
    notify_intro: str = ""

    @rx.event
    def load_notifications(self):
        self.notify_loaded = self.notify_failed = False
        call = self._call(lambda s, p: notification_settings.get_notification_settings(s, principal=p))
        if call.refused:
            self.notify_failed = True
            return call.event
        self.per_call, self.digest = call.value.per_call, call.value.digest
        self.notify_intro = translate("notify.intro", self.lang or "en", org=self.tenant_name)
        self.notify_loaded = True
        return None

    @rx.event
    def set_per_call(self, value: str):
        if value in PER_CALL_MODES:
            self.per_call = value

    @rx.event
    def set_digest(self, value: bool):
        self.digest = bool(value)

    @rx.event
    def save_notifications(self):
        """Save both choices for the caller only (the service reads who from the session, never from the page)."""
        per_call, digest = self.per_call, self.digest
        call = self._call(
            lambda s, p: notification_settings.save_notification_preferences(
                s, principal=p, per_call=per_call, digest=digest
            ),
            busy="notify_busy",
        )
        if call.refused:
            return call.event
        self.per_call, self.digest = call.value.per_call, call.value.digest
        return rx.toast.success(translate("notify.saved", self.lang or "en"))
