"""/settings/privacy: whether AVA takes personal data out of what callers say, and which kinds; admins change it."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import privacy_settings
from ava_app.state.auth import AuthState


class PrivacyState(AuthState):
    """The organisation's redaction choices, loaded on page load and saved together."""

    redact_pii: bool = False
    follows_business_kind: bool = True
    redact_emails: bool = False
    redact_other_phones: bool = False
    redact_birth_dates: bool = False
    privacy_loaded: bool = False
    privacy_failed: bool = False
    privacy_busy: bool = False

    @rx.event
    def load_privacy(self):
        self.privacy_loaded = self.privacy_failed = False
        call = self._call(lambda s, p: privacy_settings.privacy_settings(s, principal=p))
        if call.refused:
            self.privacy_failed = True
            return call.event
        self._show(call.value)
        self.privacy_loaded = True
        return None

    @rx.event
    def set_redact_pii(self, value: bool):
        self.redact_pii = bool(value)

    @rx.event
    def set_redact_emails(self, value: bool):
        self.redact_emails = bool(value)

    @rx.event
    def set_redact_other_phones(self, value: bool):
        self.redact_other_phones = bool(value)

    @rx.event
    def set_redact_birth_dates(self, value: bool):
        self.redact_birth_dates = bool(value)

    @rx.event
    def save_privacy(self):
        """Save the four choices; the service checks the caller is an admin of the organisation in their session."""
        choice = (self.redact_pii, self.redact_emails, self.redact_other_phones, self.redact_birth_dates)
        call = self._call(
            lambda s, p: privacy_settings.save_privacy_settings(
                s, principal=p, redact_pii=choice[0], emails=choice[1], other_phones=choice[2], birth_dates=choice[3]
            ),
            busy="privacy_busy",
        )
        if call.refused:
            return call.event
        self._show(call.value)
        return rx.toast.success(translate("privacy.saved", self.lang or "en"))

    def _show(self, value: privacy_settings.PrivacyOut) -> None:
        self.redact_pii, self.follows_business_kind = value.redact_pii, value.follows_business_kind
        self.redact_emails, self.redact_other_phones = value.emails, value.other_phones
        self.redact_birth_dates = value.birth_dates
