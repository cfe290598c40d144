"""/settings/privacy: whether AVA takes personal data out of what callers say, and which kinds; admins change it."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import (
    caller_data,
    data_exports,
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
    # Exports built by a job (newest first, as ``_export_row`` shows them), and whether one is still being built:
    # the page then refreshes them every two seconds.
    exports: list[dict[str, str]] = []
    exports_running: bool = False
    export_busy: bool = False
    # Deleting the organisation: the name typed to confirm, and its error.
    delete_typed: str = ""
    delete_error: str = ""
    delete_busy: bool = False

    @rx.event
    async def load_privacy(self):
        self.privacy_loaded = self.privacy_failed = False
        call = await self._call_async(lambda s, p: privacy_settings.privacy_settings(s, principal=p))
        if call.refused:
            self.privacy_failed = True
            return call.event
        self._show(call.value)
        kept = await self._call_async(lambda s, p: retention.retention_settings(s, principal=p))
        if kept.refused:
            self.privacy_failed = True
            return kept.event
        self._show_retention(kept.value)
        self.privacy_loaded = True
        if self.is_admin:
            return await self._load_exports()
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
    async def save_retention(self):
        """Save the three periods; the service checks the caller is an admin and the periods are offered ones."""
        periods = (_days(self.keep_recordings), _days(self.keep_transcripts), _days(self.keep_payloads) or 30)
        call = await self._call_async(
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
    async def export_caller(self):
        """Queue an export of the caller found (admins, their own business): a job builds the ZIP, shown below."""
        query = self.caller_query
        return await self._request_export("caller", query)

    @rx.event
    async def export_organisation(self):
        """Queue an export of all of the business's data (admins)."""
        return await self._request_export("organisation", "")

    async def _request_export(self, kind: str, query: str):
        call = await self._call_async(
            lambda s, p: data_exports.request_export(s, principal=p, kind=kind, query=query),
            busy="export_busy",
            on_error=self._caller_refused,
        )
        if call.refused:
            return call.event
        failed = await self._load_exports()
        return failed or rx.toast.info(translate("data_export.queued", self.lang or "en"))

    @rx.event
    async def refresh_exports(self, _tick: str = ""):
        """Timer tick while an export is being built: its progress, then its link."""
        if not self.exports_running:
            return None
        return await self._load_exports()

    @rx.event
    async def retry_export(self, export_id: str):
        """Build a failed export again (admins; an id of another business is not found)."""
        number = _row_id(export_id)
        call = await self._call_async(lambda s, p: data_exports.retry_export(s, principal=p, export_id=number))
        if call.refused:
            return call.event
        return await self._load_exports()

    @rx.event
    async def download_export(self, export_id: str):
        """Save a ready export through a two-minute signed link; the browser writes it to disk as it comes."""
        number = _row_id(export_id)

        def link(session, principal) -> tuple[str, str]:
            ready = data_exports.ready_export(session, principal=principal, export_id=number)
            token = download_links.issue_link_token(
                principal=principal, kind="export", resource={"export_id": ready.id}, ttl=download_links.EXPORT_TTL
            )
            return routes.export_download(ready.id, token), f"{ready.kind}-data.zip"

        call = await self._call_async(link)
        if call.refused:
            await self._load_exports()
            return call.event
        url, name = call.value
        return rx.download(url=url, filename=name)

    async def _load_exports(self):
        call = await self._call_async(lambda s, p: data_exports.list_exports(s, principal=p))
        if call.refused:
            self.exports, self.exports_running = [], False
            return call.event
        self.exports = [self._export_row(row) for row in call.value]
        self.exports_running = any(row.status in data_exports.ACTIVE for row in call.value)
        return None

    def _export_row(self, row: data_exports.ExportOut) -> dict[str, str]:
        lang = self.lang or "en"
        if row.kind == "caller":
            title = translate("data_export.caller_title", lang, caller=row.subject)
        else:
            title = translate("data_export.organisation_title", lang)
        if row.status == "ready" and row.expires_at is not None:
            size = _size(row.size_bytes or 0, lang)
            detail = translate("data_export.ready_until", lang, size=size, until=self._local_time(row.expires_at))
        elif row.status in data_exports.ACTIVE and row.total:
            done, total = (regional.format_decimal(value, lang) for value in (row.done, row.total))
            detail = translate("data_export.progress", lang, done=done, total=total)
        elif row.status == "failed" or row.error:
            # An expired export says why too when a caller's erasure withdrew it.
            detail = translate(f"data_export.error.{row.error or 'failed'}", lang)
        else:
            detail = translate(f"data_export.status.{row.status}", lang)
        return {
            "id": str(row.id),
            "title": title,
            "status": row.status,
            "status_text": translate(f"data_export.status.{row.status}", lang),
            "percent": str(row.percent),
            "detail": detail,
            "requested": translate("data_export.requested", lang, when=self._local_time(row.created_at)),
        }

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
        # Their exports are gone and the organisation's may be withdrawn: the list says so now.
        failed = await self._load_exports()
        if failed is not None:
            yield failed

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
    async def request_org_deletion(self, form: dict | None = None):
        """Schedule the organisation's deletion once its name is typed (admins only, their current organisation)."""
        typed = str((form or {}).get("typed_name") or self.delete_typed)
        call = await self._call_async(
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
    async def cancel_org_deletion(self):
        """Keep the organisation (admins only)."""
        call = await self._call_async(
            lambda s, p: organisation_deletion.cancel_deletion(s, principal=p), busy="delete_busy"
        )
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
    async def save_privacy(self):
        """Save the four choices; the service checks the caller is an admin of the organisation in their session."""
        choice = (self.redact_pii, self.redact_emails, self.redact_other_phones, self.redact_birth_dates)
        call = await self._call_async(
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


def _size(size_bytes: int, lang: str) -> str:
    """A file's size in kB under a megabyte, else in MB with one decimal, as the reader writes numbers."""
    if size_bytes < 1_048_576:
        return translate("data_export.size_kb", lang, size=regional.format_decimal(max(1, size_bytes // 1024), lang))
    return translate("data_export.size_mb", lang, size=regional.format_decimal(size_bytes / 1_048_576, lang, digits=1))


def _row_id(value: str) -> int:
    """An id sent by the page; anything else is 0, which no row has (the service then says not found)."""
    return int(value) if value.isdigit() and len(value) < 10 else 0


def _days(value: str) -> int | None:
    """A select's value as days; "forever" (or anything not a number) is None, refused by the service if not offered."""
    return int(value) if value.isdigit() else None
