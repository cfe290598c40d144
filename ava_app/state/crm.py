"""The "HubSpot" card of /settings/integrations: connect (OAuth or a private-app token), see, disconnect (admins)."""

from __future__ import annotations

import json

import reflex as rx

from ava_app import routes
from ava_app.i18n import CATALOGUES, translate
from ava_app.services.crm import connections
from ava_app.services.crm.connections import CrmConnectionOut
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState


class CrmState(AuthState):
    """The organisation's HubSpot connection as a plain dict (never a token), and what the last attempt came to."""

    hubspot: dict = {}
    notice: str = ""
    failure: str = ""
    paste_error: str = ""
    saving: bool = False
    confirm_disconnect: bool = False
    disconnecting: bool = False

    @rx.event
    async def load_crm(self):
        """Show the connection, and what HubSpot's callback reported (``?crm=`` / ``?crm_error=`` in the URL)."""
        query = self.router.url.query_parameters
        self.notice, self.failure, self.paste_error = "", "", ""
        if query.get("crm") == "connected":
            self.notice = self._text("crm.connected_notice")
        elif query.get("crm_error"):
            self.failure = self._failure_text(str(query.get("crm_error"))[:60])
        call = await self._call_async(lambda s, p: connections.get_connection(s, principal=p))
        self.hubspot = {} if call.refused else self._row(call.value)
        return call.event

    @rx.event
    def connect_oauth(self):
        """Leave for the connect route (a full page load: it answers with HubSpot's install page)."""
        url = routes.crm_hubspot_connect(lang=self.lang or "en")
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    @rx.event
    async def save_token(self, form: dict):
        """Connect with the pasted private-app token (checked against HubSpot, off the event loop)."""
        token = str(form.get("token") or "").strip()
        self.paste_error = ""
        self.saving = True
        yield

        def refused(error: DomainError):
            if error.code in ("crm_token_invalid", "crm_token_refused"):
                self.paste_error = self._failure_text(error.code)
                return None
            return rx.toast.error(self._failure_text(error.code))

        call = await self._call_async(
            lambda s, p: connections.connect_with_token(s, principal=p, token=token), busy="saving", on_error=refused
        )
        if call.refused:
            yield call.event
            return
        self.hubspot = self._row(call.value)
        self.notice, self.failure = self._text("crm.connected_notice"), ""
        yield rx.set_value("crm-token", "")

    @rx.event
    def ask_disconnect(self):
        self.confirm_disconnect = True

    @rx.event
    def cancel_disconnect(self, _open: bool = False):
        self.confirm_disconnect = False

    @rx.event
    async def disconnect(self):
        """Forget the connection (an OAuth grant is revoked at HubSpot too)."""
        self.confirm_disconnect = False
        self.disconnecting = True
        yield

        def work(session, principal):
            connections.disconnect(session, principal=principal)
            return connections.get_connection(session, principal=principal)

        call = await self._call_async(work, busy="disconnecting")
        if call.refused:
            yield call.event
            return
        self.hubspot = self._row(call.value)
        self.notice = self.failure = ""
        yield rx.toast.success(self._text("crm.disconnected"))

    def _row(self, item: CrmConnectionOut) -> dict:
        return {
            "connected": item.connected,
            "broken": item.status == "broken",
            "oauth_available": item.oauth_available,
            "oauth": item.auth_kind == "oauth",
            "account": item.account,
            "since": self._local_time(item.connected_at) if item.connected_at else "",
        }

    def _text(self, key: str) -> str:
        return translate(key, self.lang or "en")

    def _failure_text(self, code: str) -> str:
        key = f"crm.error.{code}"
        return self._text(key if key in CATALOGUES["en"] else "crm.error.other")
