"""/settings/api-keys: the organisation's API keys (admins create, list and revoke) and how to use the API.

Every handler goes through ``_call``, so the service checks the caller's role and organisation whatever the
browser sends. A new key is kept in ``shown_key`` until the admin dismisses it or opens the page again: it is never
read back (only its hash is stored).
"""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import api_keys
from ava_app.services.errors import DomainError, Forbidden
from ava_app.settings import get_settings
from ava_app.state.auth import AuthState

SCOPES = list(api_keys.SCOPES)
# The expiry choices the page offers, as the radio group's values ("never": no expiry).
EXPIRY_CHOICES = [str(days) if days else "never" for days in api_keys.EXPIRY_CHOICES]
STATUS_COLORS = {"active": "green", "expired": "amber", "revoked": "gray"}


class ApiKeysState(AuthState):
    """The keys as the page lists them, the create form, the key shown once, and the revoke confirmation."""

    keys: list[dict[str, str]] = []
    keys_loaded: bool = False
    keys_failed: bool = False
    keys_admin_only: bool = False
    keys_busy: bool = False
    create_open: bool = False
    new_name: str = ""
    new_scopes: list[str] = []
    new_expiry: str = "90"
    new_name_error: str = ""
    new_scopes_error: str = ""
    # The key just created: shown until dismissed, never read again.
    shown_key: str = ""
    confirm_revoke_id: str = ""
    confirm_revoke_name: str = ""
    # This deployment's public address, for the curl examples.
    api_base_url: str = ""

    @rx.var
    def docs_url(self) -> str:
        return self.api_base_url + routes.API_DOCS

    @rx.var
    def curl_list_calls(self) -> str:
        return f'curl -H "Authorization: Bearer $AVA_API_KEY" \\\n  "{self.api_base_url}{routes.api("/calls")}?limit=5"'

    @rx.var
    def curl_get_call(self) -> str:
        return f'curl -H "Authorization: Bearer $AVA_API_KEY" \\\n  "{self.api_base_url}{routes.api("/calls")}/CALL_ID"'

    @rx.event
    def open_api_keys(self):
        """Page load: a key shown earlier is not shown again."""
        self.shown_key = ""
        self.create_open = False
        self.confirm_revoke_id = self.confirm_revoke_name = ""
        return ApiKeysState.load_api_keys

    @rx.event
    async def load_api_keys(self):
        """The organisation's keys (admins); other members see that keys are for admins."""
        self.keys_loaded = self.keys_failed = self.keys_admin_only = False
        self.api_base_url = get_settings().public_url.rstrip("/")
        call = await self._call_async(lambda s, p: api_keys.list_api_keys(s, principal=p), on_error=self._load_refused)
        if call.refused:
            self.keys = []
            return call.event
        self.keys = [self._key_row(key) for key in call.value]
        self.keys_loaded = True
        return None

    def _load_refused(self, error: DomainError):
        if isinstance(error, Forbidden):
            self.keys_admin_only = True
            self.keys_loaded = True
            return None
        self.keys_failed = True
        return rx.toast.error(self._error_text(error))

    @rx.event
    def open_create(self):
        self.create_open = True
        self.new_name, self.new_scopes, self.new_expiry = "", [api_keys.CALLS_READ], "90"
        self.new_name_error = self.new_scopes_error = ""

    @rx.event
    def close_create(self, _open: bool = False):
        self.create_open = False

    @rx.event
    def set_new_name(self, value: str):
        self.new_name = value[:80]
        self.new_name_error = ""

    @rx.event
    def toggle_scope(self, scope: str, checked: bool):
        chosen = [item for item in self.new_scopes if item != scope]
        self.new_scopes = [item for item in SCOPES if item in chosen or (checked and item == scope)]
        self.new_scopes_error = ""

    @rx.event
    def set_new_expiry(self, value: str):
        self.new_expiry = value if value in EXPIRY_CHOICES else "90"

    @rx.event
    async def create_key(self):
        """Create the key (admins); it is shown once."""
        name, scopes = self.new_name, list(self.new_scopes)
        days = int(self.new_expiry) if self.new_expiry.isdigit() else None
        ip = self._client_info()[0]
        call = await self._call_async(
            lambda s, p: api_keys.create_api_key(s, principal=p, name=name, scopes=scopes, expires_in_days=days, ip=ip),
            busy="keys_busy",
            on_error=self._create_refused,
        )
        if call.refused:
            return call.event
        self.create_open = False
        self.shown_key = call.value.key
        return ApiKeysState.load_api_keys

    def _create_refused(self, error: DomainError):
        fields = self._field_errors(error)
        if not fields:
            return rx.toast.error(self._error_text(error))
        lang = self.lang or "en"
        self.new_name_error = translate("api_keys.name_required", lang) if "name" in fields else ""
        self.new_scopes_error = translate("api_keys.scopes_required", lang) if "scopes" in fields else ""
        return None

    @rx.event
    def copy_key(self):
        return [rx.set_clipboard(self.shown_key), rx.toast.success(translate("api_keys.copied", self.lang or "en"))]

    @rx.event
    def hide_key(self):
        self.shown_key = ""

    @rx.event
    def ask_revoke(self, key_id: str, name: str):
        self.confirm_revoke_id, self.confirm_revoke_name = str(key_id), str(name)[:80]

    @rx.event
    def cancel_revoke(self, _open: bool = False):
        self.confirm_revoke_id = self.confirm_revoke_name = ""

    @rx.event
    async def revoke_key(self):
        """Revoke the key asked about (admins): it stops working at its next request."""
        key_id = _id(self.confirm_revoke_id)
        self.confirm_revoke_id = self.confirm_revoke_name = ""
        ip = self._client_info()[0]
        call = await self._call_async(
            lambda s, p: api_keys.revoke_api_key(s, principal=p, key_id=key_id, ip=ip), busy="keys_busy"
        )
        if call.refused:
            return call.event
        return [ApiKeysState.load_api_keys, rx.toast.success(translate("api_keys.revoked", self.lang or "en"))]

    def _key_row(self, key: api_keys.ApiKeyOut) -> dict[str, str]:
        lang = self.lang or "en"
        never = translate("api_keys.never", lang)
        return {
            "id": str(key.id),
            "name": key.name,
            "prefix": key.prefix + "…",
            "scopes": ", ".join(key.scopes),
            "created_by": key.created_by or "—",
            "created": self._local_time(key.created_at),
            "last_used": self._local_time(key.last_used_at) if key.last_used_at else never,
            "expires": self._local_time(key.expires_at) if key.expires_at else never,
            "status": translate(f"api_keys.status.{key.status}", lang),
            "color": STATUS_COLORS[key.status],
            "revocable": "" if key.status == "revoked" else "yes",
        }


def _id(value: str | int) -> int:
    """An id the browser sent; anything that is not one finds nothing (the service says "not found")."""
    text = str(value)
    return int(text) if text.isdigit() and len(text) < 12 else 0
