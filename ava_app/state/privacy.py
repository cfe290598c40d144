"""/settings/privacy: whether AVA takes personal data out of what callers say, and which kinds; admins change it."""

from __future__ import annotations

import json

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import (
    caller_data,
    download_links,
    organisation_deletion,
    privacy_settings,
    regional,
    retention,
)
from ava_app.services.errors import DomainError
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
    # Retention periods as the selects show them: a number of days, or "forever".
    keep_recordings: str = "forever"
    keep_transcripts: str = "forever"
    keep_payloads: str = "30"
    retention_busy: bool = False
    # One caller's data: what the admin typed, what was found (empty until a search), what an erasure removed.
    caller_query: str = ""
    caller_error: str = ""
    caller_found: dict[str, str] = {}
    caller_erased: str = ""
    caller_busy: bool = False
    confirm_erase: bool = False
    # Deleting the organisation: the name typed to confirm, and its error.
    delete_typed: str = ""
    delete_error: str = ""
    delete_busy: bool = False

    @rx.event
    def load_privacy(self):
        self.privacy_loaded = self.privacy_failed = False
        call = self._call(lambda s, p: privacy_settings.privacy_settings(s, principal=p))
        if call.refused:
            self.privacy_failed = True
            return call.event
        self._show(call.value)
        kept = self._call(lambda s, p: retention.retention_settings(s, principal=p))
        if kept.refused:
            self.privacy_failed = True
            return kept.event
        self._show_retention(kept.value)
        self.privacy_loaded = True
        return None

    @rx.event
    def set_keep_recordings(self, value: str):
        self.keep_recordings = value

    @rx.event
    def set_keep_transcripts(self, value: str):
        self.keep_transcripts = value

    @rx.event
    def set_keep_payloads(self, value: str):
        self.keep_payloads = value

    @rx.event
    def save_retention(self):
        """Save the three periods; the service checks the caller is an admin and the periods are offered ones."""
        periods = (_days(self.keep_recordings), _days(self.keep_transcripts), _days(self.keep_payloads) or 30)
        call = self._call(
            lambda s, p: retention.save_retention(
                s, principal=p, recordings_days=periods[0], transcripts_days=periods[1], payloads_days=periods[2]
            ),
            busy="retention_busy",
        )
        if call.refused:
            return call.event
        self._show_retention(call.value)
        return rx.toast.success(translate("retention.saved", self.lang or "en"))

    @rx.event
    def set_caller_query(self, value: str):
        self.caller_query = value[:254]
        self.caller_error = ""

    @rx.event
    async def find_caller(self, form: dict | None = None):
        """Count what AVA holds about the caller typed (admins only, in their own business). Off the event loop: it
        reads through the business's messages and raw provider messages."""
        query = str((form or {}).get("caller") or self.caller_query).strip()
        self.caller_query, self.caller_found, self.caller_erased = query, {}, ""
        self.caller_busy = True
        yield
        call = await self._call_async(
            lambda s, p: caller_data.find_caller(s, principal=p, query=query),
            busy="caller_busy",
            on_error=self._caller_refused,
        )
        if call.refused:
            yield call.event
            return
        self.caller_found = self._found(call.value)

    @rx.event
    def export_caller(self):
        """Download everything about the caller found, through a two-minute signed link."""
        query = self.caller_query
        result = self._call(
            lambda _s, p: download_links.issue_link_token(
                principal=p, kind="caller", resource={"caller": query}, ttl=download_links.EXPORT_TTL
            )
        )
        if result.refused:
            return result.event
        lang = self.lang or "en"
        labels = {
            "progress": translate("calls.export_progress", lang, size="{size}"),
            "done": translate("calls.export_done", lang),
            "failed": translate("calls.export_failed", lang),
        }
        args = ", ".join(
            json.dumps(value) for value in (routes.caller_download(result.value), "caller-data.zip", labels)
        )
        return rx.call_script(f"window.avaDownload({args})")

    @rx.event
    def ask_erase(self):
        self.confirm_erase = True

    @rx.event
    def cancel_erase(self, _open: bool = False):
        self.confirm_erase = False

    @rx.event
    async def erase_caller(self):
        """Erase the caller found everywhere (admins only); says what was removed. Off the event loop: the voice
        provider is called for each of their calls (in sandbox mode it is this very server)."""
        self.confirm_erase = False
        self.caller_busy = True
        yield
        query = self.caller_query
        call = await self._call_async(
            lambda s, p: caller_data.erase_caller(s, principal=p, query=query),
            busy="caller_busy",
            on_error=self._caller_refused,
        )
        if call.refused:
            yield call.event
            return
        found = self._found(call.value)
        self.caller_found = {}
        self.caller_erased = translate("caller.erased", self.lang or "en", **found)

    def _found(self, value: caller_data.CallerFindings) -> dict[str, str]:
        return {
            "caller": value.caller,
            "calls": str(value.calls),
            "bookings": str(value.bookings),
            "messages": str(value.messages),
            "raw": str(value.raw_messages),
            "anything": "yes" if value.anything else "",
        }

    def _caller_refused(self, error: DomainError):
        if error.details.get("fields", {}).get("query"):
            self.caller_error = translate("caller.not_a_caller", self.lang or "en")
            return None
        return self._fail(error)

    @rx.event
    def set_delete_typed(self, value: str):
        self.delete_typed = value[:200]
        self.delete_error = ""

    @rx.event
    def request_org_deletion(self, form: dict | None = None):
        """Schedule the organisation's deletion once its name is typed (admins only, their current organisation)."""
        typed = str((form or {}).get("typed_name") or self.delete_typed)
        call = self._call(
            lambda s, p: organisation_deletion.request_deletion(s, principal=p, typed_name=typed),
            busy="delete_busy",
            on_error=self._delete_refused,
        )
        if call.refused:
            return call.event
        self.delete_typed = ""
        self._forget_shell()
        self.org_deletion_due = regional.format_date(
            call.value, timezone=self._business_timezone, language=self.lang, country=self.business_country
        )
        return rx.toast.warning(translate("org_delete.scheduled", self.lang or "en"))

    @rx.event
    def cancel_org_deletion(self):
        """Keep the organisation (admins only)."""
        call = self._call(lambda s, p: organisation_deletion.cancel_deletion(s, principal=p), busy="delete_busy")
        if call.refused:
            return call.event
        self._forget_shell()
        self.org_deletion_due = ""
        return rx.toast.success(translate("org_delete.cancelled", self.lang or "en"))

    def _delete_refused(self, error: DomainError):
        if error.details.get("fields", {}).get("typed_name"):
            self.delete_error = translate("org_delete.mismatch", self.lang or "en")
            return None
        return self._fail(error)

    def _show_retention(self, value: retention.RetentionOut) -> None:
        self.keep_recordings = str(value.recordings_days or "forever")
        self.keep_transcripts = str(value.transcripts_days or "forever")
        self.keep_payloads = str(value.payloads_days)

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


def _days(value: str) -> int | None:
    """A select's value as days; "forever" (or anything not a number) is None, refused by the service if not offered."""
    return int(value) if value.isdigit() else None
