"""The browser's session: tokens in local storage, checked against the server-side session on every load and event.

Feature states subclass ``AuthState`` and call ``self._principal()`` at the top of every handler that reads or
changes data: the tenant always comes from the session, never from an event argument.
"""

from __future__ import annotations

import reflex as rx

from ava_app.db import session_scope
from ava_app.i18n import translate_error
from ava_app.services import accounts
from ava_app.services.errors import DomainError, Unauthorized
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from ava_app.state.i18n import I18nState

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/dashboard"


class AuthState(I18nState):
    """The signed-in user as the shell shows them; tokens are the user's own and never anyone else's data."""

    access_token: str = rx.LocalStorage("", name="ava_session", sync=True)
    refresh_token: str = rx.LocalStorage("", name="ava_refresh", sync=True)
    user_name: str = ""
    user_email: str = ""
    tenant_name: str = ""
    role: str = ""
    email_verified: bool = True
    sandbox: bool = False
    form_error: str = ""
    busy: bool = False

    def _client_info(self) -> tuple[str, str]:
        headers = self.router.headers
        return self.router.session.client_ip or "", (headers.user_agent or "")[:300]

    def _principal(self) -> Principal:
        """The caller, re-checked against the server: a revoked session or removed member stops here."""
        if not self.access_token:
            raise Unauthorized(code="session_ended")
        with session_scope() as session:
            try:
                return accounts.authenticate(session, access_token=self.access_token)
            except Unauthorized:
                if not self.refresh_token:
                    raise
                ip, user_agent = self._client_info()
                result = accounts.refresh_tokens(
                    session, refresh_token=self.refresh_token, ip=ip, user_agent=user_agent
                )
                self.access_token, self.refresh_token = result.access_token, result.refresh_token
                return accounts.authenticate(session, access_token=self.access_token)

    def _remember(self, result: accounts.AuthResult) -> None:
        self.access_token, self.refresh_token = result.access_token, result.refresh_token

    def _forget(self) -> None:
        self.access_token = self.refresh_token = ""
        self.user_name = self.user_email = self.tenant_name = self.role = ""

    def _error_text(self, error: DomainError) -> str:
        return translate_error(error, self.lang or "en")

    @rx.event
    def require_login(self):
        """On-load guard of signed-in pages: fill the shell, or send the visitor to the login page."""
        self.sandbox = get_settings().sandbox
        try:
            principal = self._principal()
            with session_scope() as session:
                me = accounts.get_me(session, principal=principal)
        except Unauthorized:
            self._forget()
            return rx.redirect(LOGIN_ROUTE)
        self.user_name, self.user_email = me.name, me.email
        self.tenant_name, self.role = me.tenant_name or "", me.role or ""
        self.email_verified = me.email_verified

    @rx.event
    def redirect_if_logged_in(self):
        """On-load of public pages (/, /login): a visitor with a live session goes straight to the dashboard."""
        self.sandbox = get_settings().sandbox
        self.form_error = ""
        try:
            self._principal()
        except DomainError:
            self._forget()
            if self.router.url.path in ("/", ""):
                return rx.redirect(LOGIN_ROUTE)
            return
        return rx.redirect(HOME_ROUTE)

    @rx.event
    def login_with_password(self, form: dict):
        """Log in with email and password."""
        ip, user_agent = self._client_info()
        self.form_error = ""
        try:
            with session_scope() as session:
                result = accounts.login(
                    session,
                    email=str(form.get("email", "")),
                    password=str(form.get("password", "")),
                    ip=ip,
                    user_agent=user_agent,
                )
        except DomainError as error:
            self.form_error = self._error_text(error)
            return
        self._remember(result)
        return rx.redirect(HOME_ROUTE)

    @rx.event
    def logout(self):
        """End this session on the server and in the browser."""
        try:
            principal = self._principal()
            with session_scope() as session:
                accounts.logout(session, principal=principal, ip=self._client_info()[0])
        except DomainError:
            pass
        self._forget()
        return rx.redirect(LOGIN_ROUTE)
