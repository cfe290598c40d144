""" "Continue with Google / Microsoft" on the login and signup pages, and linked accounts in security settings.

The provider's answer is verified by the callback route; what it leads to waits on the server, found by this
browser's binding cookie (httpOnly, carried by the page's connection): these states read it, never a URL token.
"""

from __future__ import annotations

import asyncio
from http.cookies import CookieError, SimpleCookie

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.i18n import CATALOGUES, translate
from ava_app.services import sign_in_providers
from ava_app.services.errors import DomainError
from ava_app.services.providers import oidc
from ava_app.settings import get_settings
from ava_app.state.account import SignupState
from ava_app.state.auth import AuthState

BINDING_COOKIE = "ava_sign_in"


def _absolute(path: str) -> str:
    """A full URL at AVA's public address: the page's router leaves it to the browser (a real navigation, which the
    start route needs), and the provider's callback comes back to that same address with the binding cookie."""
    return get_settings().public_url + path


def _error_key(code: str) -> str:
    key = f"error.{code}"
    return key if key in CATALOGUES["en"] else "signin.unknown_error"


class ProviderSignInState(AuthState):
    """The provider buttons, and a sign-in the provider vouched for that waits on this page."""

    offered: list[str] = []  # the providers configured (or emulated) here
    intent: str = "login"  # login | signup: what the buttons start
    outcome: str = ""  # "" | confirm_link | new
    provider_label: str = ""
    pending_email: str = ""
    pending_name: str = ""
    pending_verified: bool = False
    signin_error: str = ""
    notice: str = ""  # what the provider said, in the reader's language
    finish_errors: dict[str, str] = {}

    def _binding(self) -> str:
        jar = SimpleCookie()
        try:
            jar.load(self.router.headers.cookie or "")
        except CookieError:
            return ""
        morsel = jar.get(BINDING_COOKIE)
        return morsel.value[:200] if morsel is not None else ""

    def _offer(self, intent: str) -> None:
        self.offered, self.intent = oidc.offered_providers(), intent

    @rx.var
    def providers(self) -> list[dict]:
        """The buttons: each offered provider's label and start link, in the reader's language."""
        lang = self.lang or "en"
        return [
            {
                "id": provider,
                "label": translate(f"signin.continue_{provider}", lang),
                "href": _absolute(routes.sign_in_start(provider, intent=self.intent, lang=lang)),
            }
            for provider in self.offered
        ]

    @rx.event
    async def load_login(self):
        """On-load of /login: the buttons; a linked account signs in; an address already AVA's waits for a login."""
        async for event in self._load("login"):
            yield event

    @rx.event
    async def load_signup(self):
        """On-load of /signup: the buttons, or the organisation form for a new provider account."""
        async for event in self._load("signup"):
            yield event

    async def _load(self, intent: str):
        self._offer(intent)
        self.outcome = self.pending_email = self.pending_name = self.provider_label = self.notice = ""
        self.signin_error, self.finish_errors = "", {}
        query = self.router.url.query_parameters
        lang = self.lang or "en"
        if query.get("signin_error"):
            self.signin_error = translate(_error_key(str(query.get("signin_error"))[:60]), lang)
        if query.get("signin") != "1":
            return
        binding = self._binding()

        def read():
            with session_scope() as session:
                return sign_in_providers.pending(session, binding=binding)

        waiting = await asyncio.to_thread(read)
        if waiting is None:
            self.signin_error = translate("error.sign_in_expired", lang)
            return
        if waiting.outcome == sign_in_providers.SIGNED_IN:
            ip, user_agent = self._client_info()

            def sign_in():
                with session_scope() as session:
                    return sign_in_providers.sign_in(session, binding=binding, ip=ip, user_agent=user_agent)

            try:
                result = await asyncio.to_thread(sign_in)
            except DomainError as error:
                self.signin_error = translate(_error_key(error.code), lang)
                return
            yield self._signed_in(result, self._after_login())
            return
        if waiting.outcome == sign_in_providers.NEW and intent == "login":
            yield rx.redirect(routes.with_query(routes.SIGNUP, signin="1"))
            return
        self.outcome = waiting.outcome
        self.provider_label = oidc.LABELS.get(waiting.provider, waiting.provider)
        self.pending_email, self.pending_name = waiting.email, waiting.name
        self.pending_verified = waiting.email_verified
        key = "signin.confirm_body" if waiting.outcome == sign_in_providers.CONFIRM_LINK else "signin.new_body"
        self.notice = translate(key, lang, provider=self.provider_label, email=waiting.email)

    @rx.event
    def cancel(self):
        """Leave the provider's sign-in and show the ordinary form (the attempt expires on its own)."""
        self.outcome = ""

    @rx.event
    async def finish_signup(self, form: dict):
        """Create the account and organisation for the new provider account, then open the setup wizard."""
        signup = await self.get_state(SignupState)
        ip, user_agent = self._client_info()
        binding = self._binding()
        lang = self.lang or "en"
        fields = {
            "name": str(form.get("name", "") or "")[:200],
            "organisation_name": str(form.get("organisation_name", "") or "")[:200],
            "industry": str(form.get("industry", "") or "")[:40] or None,
            "locale": signup._signup_locale(),
            "timezone": signup.browser_timezone or None,
        }
        self.busy, self.finish_errors, self.signin_error = True, {}, ""
        yield

        def create():
            with session_scope() as session:
                return sign_in_providers.sign_up(session, binding=binding, ip=ip, user_agent=user_agent, **fields)

        try:
            result = await asyncio.to_thread(create)
        except DomainError as error:
            self.finish_errors = self._field_errors(error)
            if not self.finish_errors:
                self.signin_error = translate(_error_key(error.code), lang)
                if error.code.startswith("sign_in_") or error.code == "email_taken":
                    self.outcome = ""
            return
        finally:
            self.busy = False
        yield self._signed_in(result, routes.ONBOARDING)


class LinkedAccountsState(AuthState):
    """/settings/security: the caller's Google and Microsoft accounts, linked or not; link and unlink."""

    linked: list[dict] = []  # provider, label, linked, email, link_href
    linked_loaded: bool = False

    @rx.event
    async def load_linked(self):
        """The caller's own linked accounts (every provider offered here, and any linked before it was not)."""
        lang = self.lang or "en"
        call = await self._call_async(lambda s, p: sign_in_providers.list_identities(s, principal=p))
        if call.refused:
            return call.event
        mine = {row.provider: row for row in call.value}
        offered = oidc.offered_providers()
        self.linked = [
            {
                "provider": provider,
                "label": oidc.LABELS[provider],
                "linked": provider in mine,
                "status": (
                    translate("security.provider_linked", lang, email=mine[provider].email or "—")
                    if provider in mine
                    else translate("security.provider_not_linked", lang)
                ),
                "can_link": provider in offered,
                "link_href": _absolute(routes.sign_in_start(provider, intent="link", lang=lang)),
            }
            for provider in oidc.PROVIDERS
            if provider in offered or provider in mine
        ]
        self.linked_loaded = True
        query = self.router.url.query_parameters
        if query.get("linked") in oidc.LABELS:
            label = oidc.LABELS[str(query.get("linked"))]
            return rx.toast.success(translate("security.provider_linked_notice", lang, provider=label))
        if query.get("signin_error"):
            return rx.toast.error(translate(_error_key(str(query.get("signin_error"))[:60]), lang))
        return None

    @rx.event
    async def unlink(self, provider: str):
        """Unlink the caller's ``provider`` account (refused for the last way in of an account without password)."""
        if provider not in oidc.PROVIDERS:
            return None
        ip = self._client_info()[0]
        call = await self._call_async(lambda s, p: sign_in_providers.unlink(s, principal=p, provider=provider, ip=ip))
        if call.refused:
            return call.event
        if not call.value:
            return None  # nothing of this provider was linked to the caller
        self.linked = [
            {**row, "linked": False, "status": translate("security.provider_not_linked", self.lang or "en")}
            if row["provider"] == provider
            else row
            for row in self.linked
        ]
        label = oidc.LABELS[provider]
        return rx.toast.success(translate("security.provider_unlinked_notice", self.lang or "en", provider=label))
