"""/deleted-calls: the calls deleted by hand that can still be restored, and (admins) how long they stay restorable."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from ava_app.i18n import translate, translate_count
from ava_app.services import calls, phones, regional, trash
from ava_app.services.analytics import tenant_zone
from ava_app.state.auth import AuthState
from ava_app.state.call_display import duration_text, outcome_label, when_text

GRACE_OPTIONS = [str(days) for days in trash.GRACE_CHOICES]


def deleted_row(item: trash.DeletedCallOut, lang: str, *, zone: ZoneInfo, country: str) -> dict:
    """One listed call as the page shows it (strings only, plus the call's id for the restore)."""
    caller = (
        translate("calls.test_caller", lang)
        if item.call_type == "test"
        else phones.display(item.caller_number, country)
        if item.caller_number
        else translate("calls.unknown_caller", lang)
    )
    return {
        "id": item.call_id,
        "caller": caller,
        "when": when_text(_local(item.started_at, zone), lang, country=country),
        "duration": duration_text(item.duration_seconds),
        "outcome": outcome_label(item.outcome or "pending", lang),
        "summary": (item.summary or "")[:140],
        "deleted": translate(
            "trash.deleted_by" if item.deleted_by else "trash.deleted_on",
            lang,
            when=when_text(_local(item.deleted_at, zone), lang, country=country),
            who=item.deleted_by or "",
        ),
        "purge": translate(
            "trash.purge_on",
            lang,
            day=regional.format_day(_local(item.purge_after, zone).date(), language=lang, country=country),
        ),
    }


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


class DeletedCallsState(AuthState):
    """The trash as plain rows, a page at a time; writers restore, admins choose the grace period (the services check
    both)."""

    trash_rows: list[dict] = []
    # How many calls the trash holds in all, and where the next page starts ("" when every call is shown).
    trash_total: int = 0
    trash_next: str = ""
    grace_days: str = "7"
    trash_loaded: bool = False
    trash_failed: bool = False
    loading_more: bool = False
    restoring: int = 0

    @rx.var
    def trash_intro(self) -> str:
        return translate_count("trash.intro", self.lang or "en", int(self.grace_days or 0))

    @rx.var
    def trash_count_text(self) -> str:
        """ "120 deleted calls · 100 shown" (the second part only while some are not shown yet)."""
        lang = self.lang or "en"
        total = regional.format_decimal(self.trash_total, lang)
        counted = translate("trash.count_one" if self.trash_total == 1 else "trash.count", lang, count=total)
        if len(self.trash_rows) >= self.trash_total:
            return counted
        shown = regional.format_decimal(len(self.trash_rows), lang)
        return translate("trash.count_shown", lang, counted=counted, shown=shown)

    def _read(
        self, session, principal, *, after: str = "", limit: int = trash.PAGE
    ) -> tuple[trash.TrashOut, ZoneInfo, str]:
        place = trash.TrashPlace.parse(after) if after else None
        listed = trash.list_deleted(session, principal=principal, after=place, limit=limit)
        assert principal.tenant_id is not None
        zone = tenant_zone(session, tenant_id=principal.tenant_id)
        return listed, zone, calls.tenant_country(session, tenant_id=principal.tenant_id)

    def _again(self, session, principal) -> tuple[trash.TrashOut, ZoneInfo, str]:
        """The list from the newest again, as far down as it was shown (after a restore or a new grace period)."""
        return self._read(session, principal, limit=max(trash.PAGE, len(self.trash_rows)))

    def _show(self, listed: trash.TrashOut, zone: ZoneInfo, country: str, *, more: bool = False) -> None:
        lang = self.lang or "en"
        rows = [deleted_row(item, lang, zone=zone, country=country) for item in listed.calls]
        self.trash_rows = [*self.trash_rows, *rows] if more else rows
        self.trash_total = listed.total
        self.trash_next = listed.next_after.text() if listed.next_after else ""
        self.grace_days = str(listed.grace_days)

    @rx.event
    async def load_deleted(self):
        """On-load: the newest calls in the trash, how many there are, and the grace period."""
        self.trash_loaded = self.trash_failed = False
        call = await self._call_async(self._read)
        if call.refused:
            self.trash_failed = True
            return call.event
        self._show(*call.value)
        self.trash_loaded = True
        return None

    @rx.event
    async def load_more_deleted(self):
        """The next page of the trash, added below the calls shown."""
        if not self.trash_next:
            return None
        after = self.trash_next
        self.loading_more = True
        call = await self._call_async(lambda session, principal: self._read(session, principal, after=after))
        self.loading_more = False
        if call.refused:
            return call.event
        self._show(*call.value, more=True)
        return None

    @rx.event
    async def restore_call(self, call_id: int):
        """Put one call back in the list (another organisation's id is not found)."""
        self.restoring = int(call_id)

        def restore(session, principal):
            trash.restore(session, principal=principal, call_id=int(call_id))
            return self._again(session, principal)

        call = await self._call_async(restore)
        self.restoring = 0
        if call.refused:
            return call.event
        self._show(*call.value)
        return rx.toast.success(translate("trash.restored", self.lang or "en"))

    @rx.event
    async def set_grace_days(self, days: str):
        """Admins: how many days deleted calls stay restorable (those already deleted follow)."""
        chosen = int(days) if str(days).isdigit() else 0

        def save(session, principal):
            trash.set_grace_days(session, principal=principal, days=chosen)
            return self._again(session, principal)

        call = await self._call_async(save)
        if call.refused:
            return call.event
        self._show(*call.value)
        return rx.toast.success(translate("trash.grace_saved", self.lang or "en"))
