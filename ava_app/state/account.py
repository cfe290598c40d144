"""Account pages: signup, the two password-less logins, email links (login, verification), password reset, and the
SMS-login number of the profile (saved only once the code texted to it comes back).

Field checks on blur reuse the services' own rules, so what the page says before submitting is what the server
enforces after. Nothing typed is kept in state except the phone number of the SMS login (the user's own).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.i18n import translate, translate_message
from ava_app.services import accounts, phone_input, phones, regional
from ava_app.services.accounts import EMAIL_RE, TwilioSmsVerifier
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.passwords import check_password_policy
from ava_app.state.auth import AuthState

FIELD_LIMIT = 1024


def _text(form: dict, name: str) -> str:
    return str(form.get(name, "") or "")[:FIELD_LIMIT]


class FieldChecks(AuthState):
    """Per-field messages shown under inputs, checked on blur with the services' rules."""

    errors: dict[str, str] = {}
    _email: str = ""

    def _set_error(self, field: str, message: str) -> None:
        errors = dict(self.errors)
        if message:
            errors[field] = translate_message(message, self.lang or "en")
        else:
            errors.pop(field, None)
        self.errors = errors

    @rx.event
    def check_required(self, field: str, message: str, value: str):
        """A field that only has to be filled in (name, organisation)."""
        self._set_error(field, "" if (value or "").strip() else message)

    @rx.event
    def check_email(self, value: str):
        normalized = accounts.normalize_email(value)
        self._email = normalized
        self._set_error("email", "" if EMAIL_RE.match(normalized) else "Enter a valid email address.")

    @rx.event
    def check_password(self, field: str, value: str):
        """The password policy (length, not the email, not common), on the given field name."""
        if not value:
            self._set_error(field, "")
            return
        try:
            check_password_policy(value[:FIELD_LIMIT], email=self._email, field=field)
        except Invalid as error:
            self._set_error(field, error.details["fields"][field])
            return
        self._set_error(field, "")


# The browser's IANA zone and language tag, which suggest the business's region (``regional.from_browser``).
BROWSER_REGION_SCRIPT = (
    "[(Intl.DateTimeFormat().resolvedOptions().timeZone || ''), (navigator.language || '')].join('|')"
)


class SignupState(FieldChecks):
    """/signup: a new account, its organisation, and a session."""

    # What the browser said of where it is: sent with the signup, checked by the service (never trusted as is).
    browser_timezone: str = ""
    browser_locale: str = ""

    @rx.event
    def reset_form(self):
        self.errors = {}
        self._email = ""
        return rx.call_script(BROWSER_REGION_SCRIPT, callback=SignupState.set_browser_region)

    @rx.event
    def set_browser_region(self, value: str):
        """Callback of reset_form with "zone|language tag" (each cut short; the service validates both)."""
        timezone, _, tag = str(value or "").partition("|")
        self.browser_timezone, self.browser_locale = timezone.strip()[:64], tag.strip()[:35]

    def _signup_locale(self) -> str:
        """The interface language with the browser tag's country ("fr" + "en-CA" -> "fr-CA"): the business's
        language is the one the owner reads AVA in, the country a hint when the zone says nothing."""
        lang = self.lang or "en"
        country = regional.country_of_tag(self.browser_locale)
        return f"{lang}-{country}" if country else lang

    @rx.event
    async def signup(self, form: dict):
        """Create the account and organisation, then open the setup wizard (hashing runs off the event loop)."""
        ip, user_agent = self._client_info()
        fields = {
            "name": _text(form, "name")[:200],
            "email": _text(form, "email")[:320],
            "password": _text(form, "password")[:1024],
            "organisation_name": _text(form, "organisation_name")[:200],
            "industry": _text(form, "industry")[:40] or None,
            "locale": self._signup_locale(),
            "timezone": self.browser_timezone or None,
        }
        self.form_error = ""
        self.busy = True
        yield

        def create() -> accounts.AuthResult:
            with session_scope() as session:
                return accounts.signup(session, **fields, ip=ip, user_agent=user_agent)

        try:
            result = await asyncio.to_thread(create)
        except DomainError as error:
            self.errors = self._field_errors(error)
            if error.code == "email_taken":
                self.errors = {"email": self._error_text(error)}
            elif not self.errors:
                self.form_error = self._error_text(error)
            return
        finally:
            self.busy = False
        self.errors = {}
        # A new organisation starts with the setup wizard.
        yield self._signed_in(result, routes.ONBOARDING)


class LoginState(AuthState):
    """/login by email link or SMS code (the password form lives on AuthState)."""

    method: str = "password"  # password | magic | sms
    magic_sent: str = ""
    magic_error: str = ""
    sms_phone: str = ""
    sms_sent: str = ""
    sms_error: str = ""
    # The country of the browser's language ("fr-FR" → FR): a national number typed at login is read in it.
    sms_country: str = ""

    @rx.var
    def sms_placeholder(self) -> str:
        """An example number of the browser's country, or an international one when its language names none."""
        return phones.example(self.sms_country) if self.sms_country else phone_input.INTERNATIONAL_EXAMPLE

    @rx.event
    def reset_form(self):
        self.method = "password"
        self.magic_sent = self.magic_error = self.sms_sent = self.sms_error = self.sms_phone = ""
        return rx.call_script("navigator.language", callback=LoginState.set_browser_country)

    @rx.event
    def set_browser_country(self, tag: str):
        """Callback of ``reset_form`` with the browser's language tag; only a country phone numbers know is kept."""
        self.sms_country = phone_input.country_of_locale(str(tag or "")[:35]) or ""

    @rx.event
    def set_method(self, value: str | list[str]):
        if value in ("password", "magic", "sms"):
            self.method = value
            self.form_error = self.magic_error = self.sms_error = ""

    @rx.event
    async def send_magic_link(self, form: dict):
        """Email a login link; the answer is the same whether or not the address has an account."""
        self.magic_sent = self.magic_error = ""
        self.busy = True
        yield
        email, ip = _text(form, "email")[:320], self._client_info()[0]

        def send() -> None:
            with session_scope() as session:
                accounts.send_magic_link(session, email=email, ip=ip)

        try:
            await asyncio.to_thread(send)
            self.magic_sent = translate_message(accounts.SENT_MESSAGE, self.lang or "en")
        except DomainError as error:
            self.magic_error = self._field_errors(error).get("email") or self._error_text(error)
        finally:
            self.busy = False

    @rx.event
    async def send_sms_code(self, form: dict):
        """Text a login code to the number (sent only when exactly one account uses it; same answer either way)."""
        self.sms_sent = self.sms_error = ""
        self.busy = True
        yield
        phone, ip = _text(form, "phone")[:32], self._client_info()[0]

        country = self.sms_country or None

        def send() -> str:
            with session_scope() as session:
                return accounts.send_sms_code(
                    session, phone=phone, verifier=TwilioSmsVerifier(), ip=ip, country=country
                )

        try:
            # Off the event loop: in sandbox mode the provider call comes back to this very server.
            self.sms_phone = await asyncio.to_thread(send)
            self.sms_sent = translate_message(accounts.SMS_SENT_MESSAGE, self.lang or "en")
        except DomainError as error:
            self.sms_error = self._field_errors(error).get("phone") or self._error_text(error)
        finally:
            self.busy = False

    @rx.event
    async def login_with_sms_code(self, form: dict):
        """Check the code sent to the number entered before, and log in."""
        self.sms_error = ""
        self.busy = True
        yield
        code, phone = _text(form, "code")[:12], self.sms_phone
        ip, user_agent = self._client_info()

        def check() -> accounts.AuthResult:
            with session_scope() as session:
                return accounts.login_with_sms_code(
                    session, phone=phone, code=code, verifier=TwilioSmsVerifier(), ip=ip, user_agent=user_agent
                )

        try:
            result = await asyncio.to_thread(check)
        except DomainError as error:
            self.sms_error = self._error_text(error)
            return
        finally:
            self.busy = False
        self.reset_form()
        yield self._signed_in(result, self._after_login())

    @rx.event
    def change_phone(self):
        """Back to the phone step (wrong number, or a new code is needed)."""
        self.sms_sent = self.sms_error = ""


class LinkState(AuthState):
    """/verify (email login link) and /verify-email: a token from the URL, one result."""

    link_status: str = "checking"  # checking | confirm (a login link waits for its click) | done | invalid
    link_message: str = ""
    link_account: str = ""  # the login link's account, partly hidden
    # /verify-email opened outside the browser that signed up: the password and every session were removed.
    sign_in_reset: bool = False

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")[:200]

    @rx.event
    def check_link(self):
        """On opening /verify: say which account the link opens and wait for a click (the link stays unused)."""
        self.link_status, self.link_message, self.link_account = "checking", "", ""
        try:
            with session_scope() as session:
                self.link_account = accounts.preview_magic_link(session, token=self._token())
        except DomainError as error:
            self.link_status, self.link_message = "invalid", self._error_text(error)
            return
        self.link_status = "confirm"

    @rx.event
    def login_with_link(self):
        """Log in with the magic link's token, then open the dashboard."""
        self.link_status, self.link_message = "checking", ""
        ip, user_agent = self._client_info()
        try:
            with session_scope() as session:
                result = accounts.login_with_magic_link(session, token=self._token(), ip=ip, user_agent=user_agent)
        except DomainError as error:
            self.link_status, self.link_message = "invalid", self._error_text(error)
            return
        self.link_status = "done"
        # The profile page says why the old password no longer works, where a new one is chosen.
        target = (
            routes.with_query(routes.SETTINGS_PROFILE, password_removed=1)
            if result.password_removed
            else routes.DASHBOARD
        )
        return self._signed_in(result, target)

    @rx.event
    def verify_email(self):
        """Mark the address as verified; the service keeps the password only if this browser signed up (or
        logged in) as that account."""
        self.link_status, self.link_message, self.sign_in_reset = "checking", "", False
        principal = self._principal_or_none()
        try:
            with session_scope() as session:
                kept = accounts.verify_email(
                    session, token=self._token(), principal=principal, ip=self._client_info()[0]
                )
        except DomainError as error:
            self.link_status, self.link_message = "invalid", self._error_text(error)
            return
        self.link_status = "done"
        self.sign_in_reset = not kept
        if kept:
            self.email_verified = True
        elif principal is None:
            # Whatever tokens this browser held were dead or for nobody; do not keep them around.
            self._forget()


class PasswordState(FieldChecks):
    """/forgot-password and /reset-password."""

    sent_message: str = ""
    reset_done: bool = False

    @rx.event
    def reset_form(self):
        self.errors, self.sent_message, self.form_error, self.reset_done = {}, "", "", False

    @rx.event
    def forgot_password(self, form: dict):
        """Email a reset link; the same answer whether or not the address has an account."""
        self.sent_message = self.form_error = ""
        self.errors = {}
        try:
            with session_scope() as session:
                accounts.forgot_password(session, email=_text(form, "email")[:320], ip=self._client_info()[0])
        except DomainError as error:
            self.errors = self._field_errors(error)
            if not self.errors:
                self.form_error = self._error_text(error)
            return
        self.sent_message = translate_message(accounts.SENT_MESSAGE, self.lang or "en")

    @rx.event
    async def reset_password(self, form: dict):
        """Set the new password from the link's token (every session is logged out by the service)."""
        self.form_error = ""
        self.errors = {}
        self.busy = True
        yield
        token = self.router.url.query_parameters.get("token", "")[:200]
        new_password, ip = _text(form, "new_password")[:1024], self._client_info()[0]

        def reset() -> None:
            with session_scope() as session:
                accounts.reset_password(session, token=token, new_password=new_password, ip=ip)

        try:
            await asyncio.to_thread(reset)
        except DomainError as error:
            self.errors = self._field_errors(error)
            if not self.errors:
                self.form_error = self._error_text(error)
            return
        finally:
            self.busy = False
        self._forget()
        self.reset_done = True


class PhoneState(AuthState):
    """/settings/profile, the SMS-login number: type it, get a code by SMS, type the code; only then is it saved."""

    phone: str = ""  # the saved number, as the business's people write it
    phone_e164: str = ""  # the saved number, as stored (sent back as is to confirm it)
    phone_verified: bool = False
    pending_phone: str = ""  # E.164 number the last code went to; empty on the number step
    phone_error: str = ""
    code_error: str = ""
    phone_busy: bool = False
    # The country of the current organisation: numbers are typed and shown as there ("" without one).
    phone_country: str = ""

    @rx.var
    def phone_placeholder(self) -> str:
        """An example number of the organisation's country ("(201) 555-0123" in the US)."""
        return phones.example(self.phone_country) if self.phone_country else phone_input.INTERNATIONAL_EXAMPLE

    @rx.var
    def code_sent_message(self) -> str:
        """ "We texted a code to 06 12 34 56 78..." in the page's language; empty on the number step."""
        if not self.pending_phone:
            return ""
        shown = phones.display(self.pending_phone, self.phone_country or None)
        return translate("profile_phone.sent", self.lang or "en", phone=shown)

    def _show(self, me: accounts.MeOut) -> None:
        self.phone = phones.display(me.phone, self.phone_country or None) if me.phone else ""
        self.phone_e164 = me.phone or ""
        self.phone_verified = me.phone_verified

    @rx.event
    async def load_phone(self):
        """The saved number and whether it is confirmed; back to the number step."""
        self.pending_phone = self.phone_error = self.code_error = ""

        def load(session, principal) -> tuple[accounts.MeOut, str | None]:
            me = accounts.get_me(session, principal=principal)
            return me, phone_input.caller_country(session, principal=principal)

        call = await self._call_async(load)
        if call.refused:
            return call.event
        me, country = call.value
        self.phone_country = country or ""
        self._show(me)
        return None

    @rx.event
    async def send_phone_code(self, form: dict):
        """Text a code to the typed number (caps per number, account, IP and country are the service's)."""
        self.phone_error = self.code_error = ""
        self.phone_busy = True
        yield
        phone, ip = _text(form, "phone")[:32], self._client_info()[0]

        def refused(error: DomainError) -> None:
            self.phone_error = self._field_errors(error).get("phone") or self._error_text(error)

        # Off the event loop: in sandbox mode the provider call comes back to this very server.
        call = await self._call_async(
            lambda s, p: accounts.send_phone_code(s, principal=p, phone=phone, verifier=TwilioSmsVerifier(), ip=ip),
            busy="phone_busy",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        self.pending_phone = call.value

    @rx.event
    async def confirm_phone(self, form: dict):
        """Check the code texted to the pending number; the number is saved as confirmed when it matches."""
        self.code_error = ""
        self.phone_busy = True
        yield
        code, phone, ip = _text(form, "code")[:12], self.pending_phone, self._client_info()[0]

        def refused(error: DomainError) -> None:
            fields = self._field_errors(error)
            self.code_error = fields.get("code") or fields.get("phone") or self._error_text(error)

        call = await self._call_async(
            lambda s, p: accounts.confirm_phone(
                s, principal=p, phone=phone, code=code, verifier=TwilioSmsVerifier(), ip=ip
            ),
            busy="phone_busy",
            on_error=refused,
        )
        if call.refused:
            yield call.event
            return
        self._show(call.value)
        self.pending_phone = ""
        yield rx.toast.success(translate("profile_phone.saved", self.lang or "en"))

    @rx.event
    def change_number(self):
        """Back to the number step (wrong number, or a new code is needed)."""
        self.pending_phone = self.phone_error = self.code_error = ""

    @rx.event
    async def remove_phone(self):
        """Remove the number: SMS login stops for this account."""
        call = await self._call_async(lambda s, p: accounts.update_profile(s, principal=p, phone=""))
        if call.refused:
            return call.event
        self._show(call.value)
        self.pending_phone = self.phone_error = self.code_error = ""
        return rx.toast.success(translate("profile_phone.removed", self.lang or "en"))
