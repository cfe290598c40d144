"""/settings/webhooks: the organisation's outgoing webhook endpoints and their delivery log.

Members read; admins add, rotate, turn on/off, delete, send a test event and resend. Every handler goes through
``_call``, so the service checks the caller's role and organisation whatever the browser sends.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from ava_app.i18n import translate
from ava_app.services import webhooks_out
from ava_app.state.auth import AuthState

EVENT_TYPES = list(webhooks_out.EVENT_TYPES)


class WebhooksState(AuthState):
    """The endpoints as the page lists them, the add form, the secret shown once, and one endpoint's log."""

    endpoints: list[dict[str, str]] = []
    webhooks_loaded: bool = False
    webhooks_failed: bool = False
    webhooks_busy: bool = False
    add_open: bool = False
    new_url: str = ""
    new_description: str = ""
    new_events: list[str] = []
    # The whsec_ secret of the endpoint just added or rotated: shown until dismissed, never read again.
    shown_secret: str = ""
    confirm_delete_id: str = ""
    log_endpoint_id: str = ""
    deliveries: list[dict[str, str]] = []
    # Every attempt of the listed deliveries (each names its delivery), and the deliveries whose attempts are open.
    attempt_rows: list[dict[str, str]] = []
    open_attempts: list[str] = []

    @rx.event
    def open_webhooks(self):
        """Page load: a secret shown earlier is not shown again."""
        self.shown_secret = ""
        return WebhooksState.load_webhooks

    @rx.event
    async def load_webhooks(self):
        self.webhooks_loaded = self.webhooks_failed = False
        call = await self._call_async(lambda s, p: webhooks_out.list_endpoints(s, principal=p))
        if call.refused:
            self.webhooks_failed = True
            return call.event
        self.endpoints = [self._endpoint_row(endpoint) for endpoint in call.value]
        if self.log_endpoint_id and self.log_endpoint_id not in {row["id"] for row in self.endpoints}:
            self.log_endpoint_id, self.deliveries = "", []
        self.webhooks_loaded = True
        return None

    @rx.event
    def open_add(self):
        self.add_open = True
        self.new_url, self.new_description, self.new_events = "", "", ["call.summarized"]

    @rx.event
    def close_add(self, _open: bool = False):
        self.add_open = False

    @rx.event
    def set_new_url(self, value: str):
        self.new_url = value[: webhooks_out.MAX_URL_CHARS]

    @rx.event
    def set_new_description(self, value: str):
        self.new_description = value[:200]

    @rx.event
    def toggle_event(self, event_type: str, checked: bool):
        chosen = [item for item in self.new_events if item != event_type]
        self.new_events = [*chosen, event_type] if checked and event_type in EVENT_TYPES else chosen

    @rx.event
    async def add_endpoint(self):
        """Add the endpoint (admins); its secret is shown once."""
        url, description, events = self.new_url, self.new_description, list(self.new_events)
        call = await self._call_async(
            lambda s, p: webhooks_out.create_endpoint(
                s, principal=p, url=url, description=description, event_types=events
            ),
            busy="webhooks_busy",
        )
        if call.refused:
            return call.event
        self.add_open = False
        self.shown_secret = call.value.secret
        return WebhooksState.load_webhooks

    @rx.event
    def copy_secret(self):
        return [rx.set_clipboard(self.shown_secret), rx.toast.success(translate("webhooks.copied", self.lang or "en"))]

    @rx.event
    def hide_secret(self):
        self.shown_secret = ""

    @rx.event
    async def rotate_secret(self, endpoint_id: str):
        """A new secret (admins), shown once; the previous one keeps signing for a day."""
        call = await self._call_async(
            lambda s, p: webhooks_out.rotate_secret(s, principal=p, endpoint_id=_id(endpoint_id)), busy="webhooks_busy"
        )
        if call.refused:
            return call.event
        self.shown_secret = call.value.secret
        return WebhooksState.load_webhooks

    @rx.event
    async def set_endpoint_enabled(self, endpoint_id: str, enabled: bool):
        """Turn an endpoint on or off (admins)."""
        call = await self._call_async(
            lambda s, p: webhooks_out.update_endpoint(
                s, principal=p, endpoint_id=_id(endpoint_id), enabled=bool(enabled)
            ),
            busy="webhooks_busy",
        )
        if call.refused:
            return call.event
        return WebhooksState.load_webhooks

    @rx.event
    def ask_delete(self, endpoint_id: str):
        self.confirm_delete_id = str(endpoint_id)

    @rx.event
    def cancel_delete(self, _open: bool = False):
        self.confirm_delete_id = ""

    @rx.event
    async def delete_endpoint(self):
        """Delete the endpoint asked about (admins)."""
        endpoint_id = _id(self.confirm_delete_id)
        self.confirm_delete_id = ""
        call = await self._call_async(
            lambda s, p: webhooks_out.delete_endpoint(s, principal=p, endpoint_id=endpoint_id), busy="webhooks_busy"
        )
        if call.refused:
            return call.event
        return [WebhooksState.load_webhooks, rx.toast.success(translate("webhooks.deleted", self.lang or "en"))]

    @rx.event
    async def send_test(self, endpoint_id: str):
        """Queue a test.ping for the endpoint (admins) and open its log."""
        call = await self._call_async(
            lambda s, p: webhooks_out.send_test_event(s, principal=p, endpoint_id=_id(endpoint_id)),
            busy="webhooks_busy",
        )
        if call.refused:
            return call.event
        await self._load_log(str(endpoint_id))
        return rx.toast.success(translate("webhooks.test_sent", self.lang or "en"))

    @rx.event
    async def show_log(self, endpoint_id: str):
        """Open (or refresh) one endpoint's delivery log (any member)."""
        return await self._load_log(str(endpoint_id))

    @rx.event
    def hide_log(self):
        self.log_endpoint_id, self.deliveries, self.attempt_rows, self.open_attempts = "", [], [], []

    @rx.event
    def toggle_attempts(self, delivery_id: str):
        """Show or hide one delivery's attempts (already loaded with the log)."""
        key = str(delivery_id)
        opened = [item for item in self.open_attempts if item != key]
        self.open_attempts = opened if len(opened) < len(self.open_attempts) else [*opened, key]

    @rx.event
    async def resend(self, delivery_id: str):
        """Send a delivery again (admins)."""
        call = await self._call_async(
            lambda s, p: webhooks_out.resend_delivery(s, principal=p, delivery_id=_id(delivery_id)),
            busy="webhooks_busy",
        )
        if call.refused:
            return call.event
        await self._load_log(str(call.value.endpoint_id))
        return rx.toast.success(translate("webhooks.resent", self.lang or "en"))

    async def _load_log(self, endpoint_id: str):
        call = await self._call_async(
            lambda s, p: webhooks_out.list_deliveries(s, principal=p, endpoint_id=_id(endpoint_id))
        )
        if call.refused:
            self.log_endpoint_id, self.deliveries, self.attempt_rows = "", [], []
            return call.event
        if endpoint_id != self.log_endpoint_id:
            self.open_attempts = []
        self.log_endpoint_id = endpoint_id
        self.deliveries = [self._delivery_row(delivery) for delivery in call.value]
        self.attempt_rows = [row for delivery in call.value for row in self._attempt_rows(delivery)]
        return None

    def _endpoint_row(self, endpoint: webhooks_out.EndpointOut) -> dict[str, str]:
        lang = self.lang or "en"
        if endpoint.enabled:
            status = translate("webhooks.failing", lang) if endpoint.failing_since else translate("webhooks.on", lang)
        else:
            status = translate(f"webhooks.off.{endpoint.disabled_reason or 'manual'}", lang)
        return {
            "id": str(endpoint.id),
            "url": endpoint.url,
            "description": endpoint.description,
            "events": ", ".join(endpoint.event_types),
            "enabled": "yes" if endpoint.enabled else "",
            "status": status,
            "color": "green"
            if endpoint.enabled and not endpoint.failing_since
            else "red"
            if endpoint.enabled
            else "gray",
            "rotating": translate("webhooks.rotating", lang, until=self._local_time(endpoint.rotating_until))
            if endpoint.rotating_until
            else "",
        }

    def _delivery_row(self, delivery: webhooks_out.DeliveryOut) -> dict[str, str]:
        lang = self.lang or "en"
        last = delivery.attempts[-1] if delivery.attempts else {}
        return {
            "id": str(delivery.id),
            "time": self._local_time(delivery.created_at),
            "event": delivery.event_type,
            "status": translate(f"webhooks.status.{delivery.status}", lang),
            "color": {"succeeded": "green", "failed": "red"}.get(delivery.status, "amber"),
            "code": str(delivery.last_status_code or "—"),
            "attempts": str(delivery.attempt_count),
            # Waiting for its next retry: the button tries it now rather than resending it.
            "retry_now": "yes" if delivery.status == "pending" and delivery.attempt_count else "",
            "next": (
                self._local_time(delivery.next_attempt_at)
                if delivery.status == "pending" and delivery.attempt_count and delivery.next_attempt_at
                else ""
            ),
            "latency": f"{delivery.last_latency_ms} ms" if delivery.last_latency_ms is not None else "—",
            "response": str(last.get("error") or last.get("response") or "")[: webhooks_out.RESPONSE_EXCERPT_CHARS],
        }

    def _attempt_rows(self, delivery: webhooks_out.DeliveryOut) -> list[dict[str, str]]:
        """Each attempt: when, the HTTP status or the error, how long it took, and what the receiver answered."""
        rows = []
        for number, attempt in enumerate(delivery.attempts or [], start=1):
            at = _parsed(attempt.get("at"))
            code = attempt.get("status_code")
            latency = attempt.get("latency_ms")
            rows.append(
                {
                    "delivery": str(delivery.id),
                    "number": str(number),
                    "time": self._local_time(at) if at else "—",
                    "code": f"HTTP {code}" if code else "—",
                    "ok": "yes" if isinstance(code, int) and 200 <= code < 300 else "",
                    "latency": f"{latency} ms" if latency is not None else "—",
                    "response": str(attempt.get("error") or attempt.get("response") or "")[
                        : webhooks_out.RESPONSE_EXCERPT_CHARS
                    ],
                }
            )
        return rows


def _parsed(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _id(value: str | int) -> int:
    """An id the browser sent; anything that is not one finds nothing (the service says "does not exist")."""
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 12 else 0
