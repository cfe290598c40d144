"""/settings/deliveries: everything AVA sent for the business, with filters; and the call page's "Sent for this call".

Members read; admins retry a failed email or text and resend a webhook. Every handler goes through ``_call``, so the
service checks the caller's organisation and role whatever the browser sends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import deliveries, phones
from ava_app.state.auth import AuthState

STATUS_COLORS = {"sent": "green", "waiting": "amber", "failed": "red"}
CRM_ERROR_CODES = frozenset({"connection_broken", "rate_limited", "crm_unavailable"})


class DeliveriesState(AuthState):
    """The log's rows as the page shows them, its filters, and whether older rows may exist."""

    delivery_rows: list[dict[str, str]] = []
    deliveries_loaded: bool = False
    deliveries_failed: bool = False
    deliveries_busy: bool = False
    channel_filter: str = "all"
    status_filter: str = "all"
    # The call the log is narrowed to (``?call=<id>``), "" for all.
    call_filter: str = ""
    more_deliveries: bool = False

    @rx.event
    def open_deliveries(self):
        """Page load: filters from the address (``?status=failed``, ``?channel=sms``, ``?call=12``), then the rows."""
        params = self.router.url.query_parameters
        status, channel, call = params.get("status", ""), params.get("channel", ""), params.get("call", "")
        self.status_filter = status if status in deliveries.STATUSES else "all"
        self.channel_filter = channel if channel in deliveries.CHANNELS else "all"
        self.call_filter = call if call.isdigit() and len(call) < 12 else ""
        return DeliveriesState.load_deliveries

    @rx.event
    async def load_deliveries(self):
        self.deliveries_loaded = self.deliveries_failed = False
        rows = await self._rows(before=None)
        if rows is None:
            self.deliveries_failed = True
            return None
        self.delivery_rows = rows
        self.deliveries_loaded = True
        return None

    @rx.event
    async def load_more_deliveries(self):
        """The next page back in time."""
        if not self.delivery_rows:
            return
        oldest = datetime.fromisoformat(self.delivery_rows[-1]["at"])
        rows = await self._rows(before=oldest)
        if rows is not None:
            self.delivery_rows = [*self.delivery_rows, *rows]

    @rx.event
    def set_channel_filter(self, value: str):
        self.channel_filter = value if value in deliveries.CHANNELS else "all"
        return DeliveriesState.load_deliveries

    @rx.event
    def set_status_filter(self, value: str):
        self.status_filter = value if value in deliveries.STATUSES else "all"
        return DeliveriesState.load_deliveries

    @rx.event
    def clear_call_filter(self):
        self.call_filter = ""
        return DeliveriesState.load_deliveries

    @rx.event
    async def retry_delivery(self, ref: str):
        """Send a failed message again (admins)."""
        call = await self._call_async(
            lambda s, p: deliveries.retry(s, principal=p, ref=str(ref)[:40]), busy="deliveries_busy"
        )
        if call.refused:
            return call.event
        row = self._row(call.value)
        self.delivery_rows = [row if item["ref"] == row["ref"] else item for item in self.delivery_rows]
        return rx.toast.success(translate("deliveries.retried", self.lang or "en"))

    async def _rows(self, *, before: datetime | None) -> list[dict[str, str]] | None:
        channel = "" if self.channel_filter == "all" else self.channel_filter
        status = "" if self.status_filter == "all" else self.status_filter
        call_id = int(self.call_filter) if self.call_filter else None
        call = await self._call_async(
            lambda s, p: deliveries.list_deliveries(
                s,
                principal=p,
                channel=channel,
                status=status,
                call_id=call_id,
                before=before,
                limit=deliveries.PAGE + 1,
            )
        )
        if call.refused:
            return None
        found = call.value
        self.more_deliveries = len(found) > deliveries.PAGE
        return [self._row(row) for row in found[: deliveries.PAGE]]

    def _row(self, row: deliveries.DeliveryRow) -> dict[str, str]:
        return delivery_view(
            row, lang=self.lang or "en", local_time=self._local_time, country=self.business_country or None
        )


def delivery_view(
    row: deliveries.DeliveryRow, *, lang: str, local_time: Callable[[datetime], str], country: str | None = None
) -> dict[str, str]:
    """One message as the log and the call page show it (all strings, in the reader's language); a text's number
    as the business writes numbers (``country``)."""
    webhook = row.channel == "webhook"
    return {
        "ref": row.ref,
        "at": row.created_at.isoformat(),
        "time": local_time(row.created_at),
        "channel": translate(f"deliveries.channel.{row.channel}", lang),
        "icon": {"email": "mail", "sms": "message-square", "webhook": "webhook", "crm": "contact"}.get(
            row.channel, "send"
        ),
        "what": row.purpose if webhook else translate(f"deliveries.purpose.{row.purpose}", lang),
        "to": phones.display(row.to, country) if row.channel == "sms" else row.to,
        "subject": "" if webhook else row.subject,
        "status": translate(f"deliveries.status.{row.status}", lang),
        "color": STATUS_COLORS.get(row.status, "gray"),
        "attempts": translate("deliveries.attempts", lang, count=row.attempts),
        # AVA's own codes for why a CRM write waits or failed, in words; a provider's message as it came.
        "error": translate(f"deliveries.error.{row.last_error}", lang)
        if row.last_error in CRM_ERROR_CODES
        else row.last_error,
        "next": translate("deliveries.next", lang, when=local_time(row.next_attempt_at)) if row.next_attempt_at else "",
        "call": str(row.call_id or ""),
        "retry": translate("deliveries.resend" if webhook else "deliveries.retry", lang) if row.can_retry else "",
    }
