"""/settings/notifications: the signed-in member's own choices of how they hear about calls."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import notification_settings
from ava_app.services.errors import DomainError
from ava_app.services.notification_settings import PER_CALL_MODES, SMS_MODES
from ava_app.state.auth import AuthState


class NotificationsState(AuthState):
    """The per-call email choice and the daily digest switch, loaded on page load and saved together."""

    per_call: str = "every"
    digest: bool = False
    notify_loaded: bool = False
    notify_failed: bool = False
    notify_busy: bool = False
    notify_intro: str = ""
    sms: str = "never"
    quiet_from: str = ""
    quiet_until: str = ""
    # The member's confirmed mobile ("" when none: texts cannot be chosen until they confirm one in their profile).
    sms_phone: str = ""
    notify_error: str = ""

    @rx.event
    async def load_notifications(self):
        self.notify_loaded = self.notify_failed = False
        call = await self._call_async(lambda s, p: notification_settings.get_notification_settings(s, principal=p))
        if call.refused:
            self.notify_failed = True
            return call.event
        self._show(call.value)
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
    def set_sms(self, value: str):
        if value in SMS_MODES:
            self.sms = value

    @rx.event
    def set_quiet_from(self, value: str):
        self.quiet_from = str(value or "")[:5]

    @rx.event
    def set_quiet_until(self, value: str):
        self.quiet_until = str(value or "")[:5]

    def _show(self, value: notification_settings.NotificationSettingsOut) -> None:
        self.per_call, self.digest, self.sms = value.per_call, value.digest, value.sms
        self.quiet_from, self.quiet_until, self.sms_phone = value.quiet_from, value.quiet_until, value.phone

    @rx.event
    async def save_notifications(self):
        """Save every choice for the caller only (the service reads who from the session, never from the page); a
        refused choice is said under the form and keeps what was picked."""
        per_call, digest, sms = self.per_call, self.digest, self.sms
        quiet = (self.quiet_from, self.quiet_until)
        self.notify_error = ""

        def refused(error: DomainError):
            self.notify_error = self._error_text(error)
            return None

        call = await self._call_async(
            lambda s, p: notification_settings.save_notification_preferences(
                s, principal=p, per_call=per_call, digest=digest, sms=sms, quiet_from=quiet[0], quiet_until=quiet[1]
            ),
            busy="notify_busy",
            on_error=refused,
        )
        if call.refused:
            return call.event
        self._show(call.value)
        return rx.toast.success(translate("notify.saved", self.lang or "en"))
