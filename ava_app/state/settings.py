"""Settings pages of the signed-in user: profile and password, sessions (devices), the organisation's audit log."""

from __future__ import annotations

import re

import reflex as rx

from ava_app import routes
from ava_app.i18n import CATALOGUES, translate
from ava_app.services import account_deletion, accounts, audit
from ava_app.services.errors import DomainError
from ava_app.state.account import FieldChecks
from ava_app.state.auth import AuthState

AUDIT_PAGE_SIZE = 25
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short "Browser · System" for a User-Agent header (the full header is shown on hover)."""
    browser = next((name for token, name in BROWSERS if token in user_agent), "")
    system = next((name for token, name in SYSTEMS if token in user_agent), "")
    if not browser and not system:
        return re.split(r"[\s/]", user_agent.strip(), maxsplit=1)[0] if user_agent.strip() else "?"
    return " · ".join(part for part in (browser, system) if part)


class ProfileState(FieldChecks):
    """/settings/profile: name, language; password change (the SMS-login number is PhoneState's)."""

    name: str = ""
    locale: str = "en"
    profile_busy: bool = False
    password_busy: bool = False
    # Arrived from an email link that removed a password chosen before the address was confirmed.
    sign_in_reset: bool = False
    # Deleting the account: what confirms it (password, or email without one), the dialog, the refusal.
    account_confirm_kind: str = "password"
    account_dialog: bool = False
    account_error: str = ""
    account_busy: bool = False
    _account_confirmation: str = ""

    @rx.event
    async def load_profile(self):
        self.errors = {}
        self.sign_in_reset = self.router.url.query_parameters.get("password_removed") == "1"
        call = await self._call_async(lambda s, p: accounts.get_me(s, principal=p))
        if call.refused:
            return call.event
        me = call.value
        self.name, self.locale = me.name, me.locale
        self._email = me.email
        kind = await self._call_async(lambda s, p: account_deletion.confirmation_kind(s, principal=p))
        if not kind.refused:
            self.account_confirm_kind = kind.value

    @rx.event
    def ask_delete_account(self, form: dict):
        """Step 1: the confirmation typed; the dialog asks once more before anything is deleted."""
        self._account_confirmation = str(form.get("confirmation") or "")[:1024]
        self.account_error = ""
        if not self._account_confirmation.strip():
            self.account_error = translate("account_delete.confirm_needed", self.lang or "en")
            return
        self.account_dialog = True

    @rx.event
    def cancel_delete_account(self, _open: bool = False):
        self.account_dialog = False
        self._account_confirmation = ""

    @rx.event
    async def delete_account(self):
        """Step 2: delete the signed-in person's own account, then leave as after a logout."""
        self.account_dialog = False
        confirmation, self._account_confirmation = self._account_confirmation, ""
        lang = self.lang or "en"

        def refused(error: DomainError):
            if error.details.get("fields", {}).get("confirmation"):
                self.account_error = translate(f"account_delete.wrong_{self.account_confirm_kind}", lang)
            else:
                self.account_error = self._error_text(error)
            return None

        call = await self._call_async(
            lambda s, p: account_deletion.delete_own_account(s, principal=p, confirmation=confirmation),
            busy="account_busy",
            on_error=refused,
        )
        if call.refused:
            return call.event
        return [rx.toast.success(translate("account_delete.done", lang)), AuthState.logout]

    @rx.event
    def set_locale(self, value: str):
        self.locale = value

    @rx.event
    async def save_profile(self, form: dict):
        """Save name and language; the interface switches to the chosen language."""
        self.profile_busy = True
        yield
        name, locale = str(form.get("name", ""))[:200], self.locale

        def refused(error: DomainError):
            self.errors = self._field_errors(error)
            return None if self.errors else self._fail(error)

        call = await self._call_async(
            lambda s, p: accounts.update_profile(s, principal=p, name=name, locale=locale),
            busy="profile_busy",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        me = call.value
        self.errors = {}
        self.name, self.locale = me.name, me.locale
        self.user_name = me.name
        if me.locale in CATALOGUES:
            self.lang = me.locale
        yield rx.toast.success(translate("profile.saved", self.lang or "en"))

    @rx.event
    async def change_password(self, form: dict):
        """Change the password (current one required); the service logs out the other devices."""
        self.password_busy = True
        yield
        current, new = str(form.get("current_password", ""))[:1024], str(form.get("new_password", ""))[:1024]
        ip = self._client_info()[0]

        def refused(error: DomainError):
            fields = self._field_errors(error)
            # A new attempt replaces both password messages; the profile form's own messages stay.
            kept = {k: v for k, v in self.errors.items() if k not in ("current_password", "new_password")}
            self.errors = {**kept, **fields}
            return None if fields else self._fail(error)

        call = await self._call_async(
            lambda s, p: accounts.change_password(s, principal=p, current_password=current, new_password=new, ip=ip),
            busy="password_busy",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        self.errors = {}
        yield rx.set_value("current_password", "")
        yield rx.set_value("new_password", "")
        yield rx.toast.success(translate("password.changed", self.lang or "en"))


class SecurityState(FieldChecks):
    """/settings/security: the caller's logged-in devices, each revocable after confirmation."""

    sessions: list[dict] = []
    loaded: bool = False
    confirm_session_id: int = 0
    confirm_current: bool = False

    @rx.event
    async def load_sessions(self):
        call = await self._call_async(lambda s, p: accounts.list_sessions(s, principal=p))
        if call.refused:
            return call.event
        rows = call.value
        self.sessions = [
            {
                "id": row.id,
                "device": describe_device(row.user_agent),
                "user_agent": row.user_agent,
                "ip": row.ip or "—",
                "last_seen": self._local_time(row.last_seen_at),
                "current": row.current,
            }
            for row in rows[:100]
        ]
        self.loaded = True

    @rx.event
    def ask_revoke(self, session_id: int, current: bool):
        self.confirm_session_id, self.confirm_current = int(session_id), bool(current)

    @rx.event
    def cancel_revoke(self, _open: bool = False):
        self.confirm_session_id = 0

    @rx.event
    async def revoke(self):
        """Log out the chosen device (the service only finds the caller's own sessions)."""
        session_id, current = self.confirm_session_id, self.confirm_current
        self.confirm_session_id = 0
        ip = self._client_info()[0]
        call = await self._call_async(
            lambda s, p: accounts.revoke_session(s, principal=p, session_id=session_id, ip=ip)
        )
        if call.refused:
            return call.event
        if current:
            self._forget()
            return rx.redirect(routes.LOGIN)
        self.sessions = [row for row in self.sessions if row["id"] != session_id]
        return rx.toast.success(translate("security.revoked", self.lang or "en"))


class AuditState(FieldChecks):
    """/settings/audit: the organisation's audit log, newest first, one page at a time (admins only)."""

    entries: list[dict] = []
    page: int = 1
    has_next: bool = False
    loaded: bool = False
    refused: str = ""

    async def _read(self):
        offset = (self.page - 1) * AUDIT_PAGE_SIZE

        def refused(error: DomainError):
            if error.code not in ("admin_only", "no_organisation"):
                return self._fail(error)
            self.refused, self.entries, self.loaded = self._error_text(error), [], True
            return None

        call = await self._call_async(
            lambda s, p: audit.list_audit(s, principal=p, limit=AUDIT_PAGE_SIZE + 1, offset=offset),
            on_error=refused,
        )
        if call.refused:
            return call.event
        rows = call.value
        self.refused = ""
        self.has_next = len(rows) > AUDIT_PAGE_SIZE
        self.entries = [
            {
                "id": row.id,
                "action": row.action,
                "who": row.user_email or "—",
                "ip": row.ip or "—",
                "when": self._local_time(row.created_at),
                "detail": self._detail_text(row.detail),
            }
            for row in rows[:AUDIT_PAGE_SIZE]
        ]
        self.loaded = True
        return None

    def _detail_text(self, detail: dict) -> str:
        """What an admin needs to read a line: whose role changed and how, which member, key or provider."""
        lang = self.lang or "en"

        def role(value: object) -> str:
            return translate(f"role.{value}", lang) if value in ("admin", "user", "viewer") else str(value)

        parts = []
        if detail.get("member"):
            parts.append(str(detail["member"]))
        if detail.get("email"):
            parts.append(str(detail["email"]))
        if "from" in detail and "to" in detail:
            parts.append(f"{role(detail['from'])} → {role(detail['to'])}")
        elif detail.get("role"):
            parts.append(role(detail["role"]))
        if detail.get("method") in ("password", "magic", "sms", "invite"):
            parts.append(translate(f"audit.method.{detail['method']}", lang))
        for key in ("provider", "name", "prefix", "sessions_revoked"):
            if detail.get(key):
                parts.append(translate(f"audit.detail.{key}", lang, value=detail[key]))
        return " · ".join(parts) or "—"

    @rx.event
    async def load_audit(self):
        self.page = 1
        return await self._read()

    @rx.event
    async def next_page(self):
        if self.has_next:
            self.page += 1
            return await self._read()

    @rx.event
    async def previous_page(self):
        if self.page > 1:
            self.page -= 1
            return await self._read()
