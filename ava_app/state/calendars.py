"""The "Calendar" section of /settings/integrations: Google and Microsoft 365 connections (admins only)."""

from __future__ import annotations

import json

import reflex as rx

from ava_app import routes
from ava_app.i18n import CATALOGUES, translate
from ava_app.services import calendar_connections
from ava_app.services.calendar_connections import CalendarConnectionOut
from ava_app.state.auth import AuthState

PROVIDER_NAMES = {"google": "Google Calendar", "microsoft": "Microsoft 365"}
# Where a connection may come back to besides the settings page (the connect route checks the same list).
CONNECT_RETURNS = ("onboarding",)


class CalendarState(AuthState):
    """Each provider's state as plain dicts (never a token); what the last connection attempt came to."""

    calendars: list[dict] = []
    # The outcome the callback put in the URL, in the reader's language ("" when none).
    notice: str = ""
    failure: str = ""
    confirm_provider: str = ""
    disconnecting: bool = False

    @rx.event
    async def load_calendars(self):
        """List the calendars, and show what the provider's callback reported (``?calendar=`` in the URL)."""
        query = self.router.url.query_parameters
        self.notice, self.failure = "", ""
        if query.get("calendar") == "connected":
            name = PROVIDER_NAMES.get(str(query.get("provider", "")), "")
            self.notice = translate("calendar.connected_notice", self.lang or "en", provider=name)
        elif query.get("calendar_error"):
            self.failure = self._failure_text(str(query.get("calendar_error"))[:60])
        call = await self._call_async(lambda s, p: calendar_connections.list_connections(s, principal=p))
        self.calendars = [] if call.refused else [self._row(item) for item in call.value]
        return call.event

    @rx.event
    def connect(self, provider: str, then: str = ""):
        """Leave for the connect route (a full page load: the route answers with the provider's consent page).

        ``then`` "onboarding": the provider's answer lands back on the setup wizard rather than the settings page."""
        url = next((row["connect_url"] for row in self.calendars if row["provider"] == provider), "")
        if not url:
            return None
        if then in CONNECT_RETURNS:
            url = f"{url}{'&' if '?' in url else '?'}then={then}"
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    @rx.event
    def ask_disconnect(self, provider: str):
        self.confirm_provider = provider

    @rx.event
    def cancel_disconnect(self, _open: bool = False):
        self.confirm_provider = ""

    @rx.event
    async def disconnect(self):
        """Forget the calendar (revoked at Google too); off the event loop, as the provider is called."""
        provider, self.confirm_provider = self.confirm_provider, ""
        self.disconnecting = True
        yield

        def work(session, principal):
            calendar_connections.disconnect(session, principal=principal, provider=provider)
            return calendar_connections.list_connections(session, principal=principal)

        call = await self._call_async(work, busy="disconnecting")
        if call.refused:
            yield call.event
            return
        self.calendars = [self._row(item) for item in call.value]
        self.notice = self.failure = ""
        yield rx.toast.success(translate("calendar.disconnected", self.lang or "en"))

    def _row(self, item: CalendarConnectionOut) -> dict:
        return {
            "provider": item.provider,
            "name": PROVIDER_NAMES[item.provider],
            "available": item.available,
            "connected": item.connected,
            "broken": item.status == "broken",
            "account_email": item.account_email,
            "since": self._local_time(item.connected_at) if item.connected_at else "",
            "connect_url": routes.calendar_connect(item.provider, lang=self.lang or "en"),
        }

    def _failure_text(self, code: str) -> str:
        key = f"calendar.error.{code}"
        lang = self.lang or "en"
        return translate(key if key in CATALOGUES["en"] else "calendar.error.other", lang)
