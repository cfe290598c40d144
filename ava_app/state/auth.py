"""The browser's session: an httpOnly cookie, checked against the server-side session on every load and event.

No token is kept where a script can read it (``services.browser_sessions``): each event is authenticated from the
cookie that the tab's websocket connection carried. Feature states subclass ``AuthState`` and run every service call
through ``self._call`` (``self._call_in_thread`` in background events), which hands the work the caller's
``Principal``: the tenant always comes from the session, never from an event argument, and the permission checks
are the services'.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import reflex as rx

from ava_app import routes
from ava_app.db import session_scope
from ava_app.i18n import translate, translate_error, translate_message
from ava_app.models import Tenant, utcnow
from ava_app.services import accounts, browser_sessions, regional, team
from ava_app.services.billing.subscriptions import grace_until as billing_grace
from ava_app.services.billing.subscriptions import trial_end as billing_trial_end
from ava_app.services.errors import DomainError, Unauthorized
from ava_app.services.messaging.outbox import sandbox_channels
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from ava_app.state import event_chain
from ava_app.state.i18n import I18nState

# The shell's data is read again after this long, for changes made outside the tab (another tab, another member).
SHELL_MAX_AGE = 60.0


def local_page(target: str) -> str:
    """``target`` if it is a path of this site, else ''.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so ``/\t/evil.example`` would be
    ``//evil.example``: a path with any of them, or one that does not parse as a bare path, is refused.
    """
    if not target.startswith("/") or any(char.isspace() or ord(char) < 32 or char == "\\" for char in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return target


# A service call made for the signed-in caller: ``work(session, principal)``.
Work = Callable[[Any, Principal], Any]


def _authenticate(cookie: str) -> Principal:
    """The principal of the session cookie ``cookie``, checked against the server (Unauthorized when it ended)."""
    with session_scope() as session:
        return browser_sessions.authenticate_browser(session, token=cookie)


def _chain_principal(chain: str | None, cookie: str) -> Principal:
    """``_authenticate`` once per event chain: an earlier event of ``chain`` that checked ``cookie`` answers."""
    principal = event_chain.checked(chain, cookie)
    if principal is None:
        principal = _authenticate(cookie)
        event_chain.remember(chain, cookie, principal)
    return principal


@dataclass(frozen=True)
class _Shell:
    """What the shell shows, read in one go by ``require_login``."""

    me: accounts.MeOut
    organisations: list
    timezone: str
    country: str
    deletion_due: datetime | None = None
    grace_until: datetime | None = None
    suspended_reason: str | None = None
    # When the free trial ends (or ended) without a plan, once it is within the notice days.
    trial_ends: datetime | None = None


@dataclass(frozen=True)
class Call:
    """What ``AuthState._call`` gave back: the work's value, or ``refused`` with the event that says so (and the
    error, for a form that shows it in place of that event)."""

    value: Any = None
    refused: bool = False
    event: Any = None
    error: DomainError | None = None


def _trial_ends_soon(session, tenant: Tenant | None) -> datetime | None:
    """The end of a free trial without a plan, once the admins are to be told (the notice days before, and after)."""
    ends = billing_trial_end(session, tenant) if tenant is not None else None
    if ends is None or utcnow() < ends - timedelta(days=get_settings().billing_trial_notice_days):
        return None
    return ends


class AuthState(I18nState):
    """The signed-in user as the shell shows them; tokens are the user's own and never anyone else's data."""

    user_name: str = ""
    user_email: str = ""
    tenant_name: str = ""
    role: str = ""
    email_verified: bool = True
    # The day the organisation is to be deleted, as the business writes dates ("" when it is not).
    org_deletion_due: str = ""
    # While a payment has failed: the end of the grace period, as the business writes dates (admins see a banner).
    billing_grace_until: str = ""
    # While the platform's operators have the organisation suspended: their reason (everyone sees a banner).
    org_suspended_reason: str = ""
    # A free trial ending soon, or over, without a plan: its end as the business writes dates (admins see a banner).
    trial_ends_on: str = ""
    trial_over: bool = False
    trial_policy: str = "messages_only"
    sandbox: bool = False
    has_dev_outbox: bool = False
    form_error: str = ""
    busy: bool = False
    # The caller's organisations for the switcher: id, name, role, current (their own memberships only).
    organisations: list[dict] = []
    org_dialog_open: bool = False
    org_error: str = ""
    resend_busy: bool = False
    # The current organisation's timezone and country (read with the shell): the times pages show are the
    # business's, written as its country writes them (12-hour in the US, 24-hour in France).
    _business_timezone: str = "UTC"
    business_country: str = ""
    # Which connection, session, organisation and role the shell was read for, and when (``require_login``).
    _shell_for: str = ""
    _shell_read_at: float = 0.0

    @rx.var
    def is_admin(self) -> bool:
        """Shows admin-only controls; the services refuse non-admins whatever the page shows."""
        return self.role == "admin"

    @rx.var
    def can_write(self) -> bool:
        """False for viewers: controls that change data are hidden (and refused by the services)."""
        return self.role in ("admin", "user")

    @rx.var
    def clock_12h(self) -> bool:
        """Whether times read with AM/PM for this reader of this business (what the hours editor's selects show)."""
        return regional.uses_12_hour(self.lang or "en", self.business_country or None)

    @rx.var
    def date_order(self) -> str:
        """The order date fields show day, month and year in ("dmy", "mdy", "ymd"), for this reader of this business
        (``components.date_time_input`` writes a stored ISO day with it)."""
        return regional.date_layout(self.lang or "en", self.business_country or None).order

    @rx.var
    def date_separator(self) -> str:
        return regional.date_layout(self.lang or "en", self.business_country or None).separator

    @rx.var
    def date_placeholder(self) -> str:
        """What a date field shows while empty: "jj/mm/aaaa", "mm/dd/yyyy"."""
        return regional.date_layout(self.lang or "en", self.business_country or None).placeholder

    @rx.var
    def week_starts_on(self) -> int:
        """The first column of a date field's calendar, counted as calendars on the page count (0 Sunday, 1 Monday):
        the business's country's week (``regional.first_weekday``)."""
        return (regional.first_weekday(self.lang or "en", self.business_country or None) + 1) % 7

    @rx.var
    def business_timezone(self) -> str:
        """The business's IANA zone, for what the page works out itself (a date field's calendar marks the
        business's today, not the browser's)."""
        return self._business_timezone

    def _read_day(self, text: str) -> str | None:
        """A day typed in a date field (or sent by its calendar) as ISO "YYYY-MM-DD"; '' for an empty field, None
        when it is not a day (``_bad_day`` says so)."""
        if not (text or "").strip():
            return ""
        day = regional.parse_date_input(text, language=self.lang or "en", country=self.business_country or None)
        return day.isoformat() if day else None

    def _bad_day(self):
        """The toast for a date that could not be read, with the expected layout and an example."""
        lang = self.lang or "en"
        country = self.business_country or None
        example = regional.format_date_input(utcnow().date(), language=lang, country=country)
        layout = regional.date_layout(lang, country)
        return rx.toast.error(translate("date.invalid", lang, pattern=layout.placeholder, example=example))

    def _local_time(self, moment: datetime) -> str:
        """A moment in the business's timezone and the reader's language as its country writes it: "4 déc. 2026 à
        16:23", "Dec 4, 2026, 4:23 PM" in the US, "4 Dec 2026, 16:23" in the UK."""
        return regional.format_datetime(
            moment,
            timezone=self._business_timezone,
            language=self.lang or "en",
            country=self.business_country,
            nowrap=True,
        )

    def _client_info(self) -> tuple[str, str]:
        headers = self.router.headers
        return self.router.session.client_ip or "", (headers.user_agent or "")[:300]

    def _session_cookie(self) -> str:
        """The session cookie this tab's connection carried ('' when logged out)."""
        return browser_sessions.token_from_cookie_header(self.router.headers.cookie)

    def _principal(self) -> Principal:
        """The caller, re-checked against the server: a revoked session or removed member stops here."""
        return _authenticate(self._session_cookie())

    def _principal_or_none(self) -> Principal | None:
        """The caller, or None for a visitor without a live session: for pages open to both (the login page, an
        invitation, the email check, the dev outbox), where no session is not a refusal."""
        if not self._session_cookie():
            return None
        try:
            return self._principal()
        except DomainError:
            return None

    def _call_quietly(self, work: Work) -> Any:
        """``work``'s value for the signed-in caller, or None for a visitor or a refusal: for what a page does
        without (who is logged in on an invitation page, the browser test call)."""
        principal = self._principal_or_none()
        if principal is None:
            return None
        try:
            with session_scope() as session:
                return work(session, principal)
        except DomainError:
            return None

    def _signed_in(self, result: accounts.AuthResult, target: str):
        """After a login: exchange the one-time grant for the session cookie, then load ``target`` afresh.

        The full load gives the tab a websocket connection that carries the new cookie.
        """
        grant = browser_sessions.issue_cookie_grant(session_id=result.session_id, user_id=result.user_id)
        return rx.call_script(
            f"fetch({json.dumps(routes.api(routes.BROWSER_SESSION))}, {{method: 'POST', credentials: 'same-origin', "
            f"headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{grant: {json.dumps(grant)}}})}})"
            f".then((r) => window.location.assign(r.ok ? {json.dumps(target)} : {json.dumps(routes.LOGIN)}))"
        )

    def _forget(self) -> None:
        self.user_name = self.user_email = self.tenant_name = self.role = ""

    def _error_text(self, error: DomainError) -> str:
        return translate_error(error, self.lang or "en")

    def _field_errors(self, error: DomainError) -> dict[str, str]:
        """The per-field messages of an Invalid error, translated; empty for other errors."""
        fields = error.details.get("fields") or {}
        return {name: translate_message(str(message), self.lang or "en") for name, message in fields.items()}

    def _fail(self, error: DomainError):
        """A refused event: an ended session goes to the login page, anything else becomes a toast."""
        if isinstance(error, Unauthorized):
            self._forget()
            return rx.redirect(routes.LOGIN)
        return rx.toast.error(self._error_text(error))

    def _refusal(self, error: DomainError, on_error: Callable[[DomainError], Any] | None):
        """The event for a refused call: an ended session always goes to ``_fail``; ``on_error`` (say, field
        messages under a form) takes the rest when given."""
        if on_error is not None and not isinstance(error, Unauthorized):
            return on_error(error)
        return self._fail(error)

    def _call(
        self, work: Work, *, busy: str | None = None, on_error: Callable[[DomainError], Any] | None = None
    ) -> Call:
        """Run ``work`` in a session for the signed-in caller; a refusal becomes a toast or the login redirect.

        ``busy`` names a flag held True while the work runs and False after. A plain event's changes reach the page
        only when it yields or returns, so a handler that wants the flag seen sets it and yields first. Every
        permission check is the service's.
        """
        if busy:
            setattr(self, busy, True)
        chain = event_chain.chain_id()
        try:
            principal = _chain_principal(chain, self._session_cookie())
            with session_scope() as session:
                return Call(value=work(session, principal))
        except DomainError as error:
            if isinstance(error, Unauthorized):
                event_chain.forget(chain)
            return Call(refused=True, event=self._refusal(error, on_error), error=error)
        finally:
            if busy:
                setattr(self, busy, False)

    def _call_for_tenant(self, tenant_id: int, work: Work) -> Call:
        """``_call`` for a push from outside any event (``state/live.py``): ``work`` runs only while the tab's
        session is still ``tenant_id``'s, and a refusal carries no event (there is no event to answer)."""
        try:
            principal = self._principal()
            if principal.tenant_id != tenant_id:
                return Call(refused=True)
            with session_scope() as session:
                return Call(value=work(session, principal))
        except DomainError as error:
            return Call(refused=True, error=error)

    async def _call_in_thread(
        self, work: Work, *, busy: str | None = None, on_error: Callable[[DomainError], Any] | None = None
    ) -> Call:
        """``_call`` for background events: the state is touched under ``async with self``, the work runs in a
        worker thread so a slow provider stalls no one. Call it outside ``async with self``. The session is checked
        afresh on every call (a background event can outlive a logout)."""
        return await self._off_loop(work, busy=busy, on_error=on_error, hold=lambda: self, per_chain=False)

    async def _call_async(
        self, work: Work, *, busy: str | None = None, on_error: Callable[[DomainError], Any] | None = None
    ) -> Call:
        """``_call`` for async (foreground) events: the session check and the work run in a worker thread, so the
        event loop serves other tabs while PostgreSQL answers (and argon2, or a provider that calls back this very
        server in sandbox mode, stalls no one). The event owns its state, so nothing is locked; set the busy flag and
        ``yield`` first for the page to show it. ``work`` runs in that thread: it reads the state but leaves writing
        it to the caller, on the loop."""
        return await self._off_loop(work, busy=busy, on_error=on_error, hold=contextlib.nullcontext, per_chain=True)

    async def _off_loop(
        self,
        work: Work,
        *,
        busy: str | None,
        on_error: Callable[[DomainError], Any] | None,
        hold: Callable[[], contextlib.AbstractAsyncContextManager],
        per_chain: bool,
    ) -> Call:
        """The body of both thread-running calls; ``hold`` guards every touch of the state. ``per_chain``: the
        session checked by an earlier event of the same chain counts (``event_chain``)."""
        async with hold():
            cookie = self._session_cookie()
        chain = event_chain.chain_id() if per_chain else None

        def check() -> Principal:
            return _chain_principal(chain, cookie) if per_chain else _authenticate(cookie)

        try:
            principal = await asyncio.to_thread(check)
        except DomainError as error:
            event_chain.forget(chain)
            async with hold():
                return Call(refused=True, event=self._fail(error), error=error)
        if busy:
            async with hold():
                setattr(self, busy, True)

        def job():
            with session_scope() as session:
                return work(session, principal)

        try:
            value = await asyncio.to_thread(job)
        except DomainError as error:
            if isinstance(error, Unauthorized):
                event_chain.forget(chain)
            async with hold():
                return Call(refused=True, event=self._refusal(error, on_error), error=error)
        finally:
            if busy:
                async with hold():
                    setattr(self, busy, False)
        return Call(value=value)

    def _after_login(self) -> str:
        """Where a fresh login lands: a local ``next`` page (e.g. an invitation) or the dashboard."""
        return local_page(self.router.url.query_parameters.get("next", "")) or routes.DASHBOARD

    def _read_modes(self) -> None:
        settings = get_settings()
        self.sandbox = settings.sandbox
        self.has_dev_outbox = bool(sandbox_channels(settings))

    def _session_changed(self) -> None:
        """After a logout or an organisation switch: the chain's check and the shell no longer hold."""
        event_chain.forget(event_chain.chain_id())
        self._forget_shell()

    def _forget_shell(self) -> None:
        """Have the next page load read the shell again (after this tab changed what it shows)."""
        self._shell_for = ""

    @rx.event
    async def require_login(self):
        """On-load guard of signed-in pages: check the session, fill the shell, or send the visitor to the login
        page; on a first visit, also adopt the browser's language (``detect_language``, in this same event).

        The session is checked on every page load (and the check serves the page's own loader in the same chain).
        The shell's data (name, email, organisations, the business's timezone) is read once per connection and
        session, organisation and role, and again after ``SHELL_MAX_AGE`` for changes made elsewhere; the tab's own
        changes to it refresh it at once.
        """
        self._read_modes()
        connection = self.router.session.session_id
        shown, fresh = self._shell_for, time.time() - self._shell_read_at < SHELL_MAX_AGE

        def shell(session, principal) -> tuple[str, _Shell | None]:
            key = f"{connection}:{principal.session_id}:{principal.user_id}:{principal.tenant_id}:{principal.role}"
            if key == shown and fresh:
                return key, None
            tenant = session.get(Tenant, principal.tenant_id) if principal.tenant_id else None
            region = regional.region_of(tenant)
            return key, _Shell(
                me=accounts.get_me(session, principal=principal),
                organisations=team.list_organisations(session, principal=principal),
                timezone=region.timezone,
                country=region.country,
                deletion_due=tenant.deletion_due_at if tenant else None,
                grace_until=billing_grace(session, tenant_id=tenant.id) if tenant and tenant.id else None,
                suspended_reason=(tenant.suspended_reason or "—") if tenant and tenant.suspended_at else None,
                trial_ends=_trial_ends_soon(session, tenant),
            )

        call = await self._call_async(shell)
        if call.refused:
            self._forget_shell()
            return call.event
        key, read = call.value
        if read is None:
            return self._ask_browser_language()
        me = read.me
        self.user_name, self.user_email = me.name, me.email
        self.tenant_name, self.role = me.tenant_name or "", me.role or ""
        self.email_verified = me.email_verified
        self.organisations = [
            {"id": row.id, "name": row.name, "role": row.role, "current": row.current}
            for row in read.organisations[:50]
        ]
        self._business_timezone, self.business_country = read.timezone, read.country
        self.org_deletion_due = (
            regional.format_date(read.deletion_due, timezone=read.timezone, language=self.lang, country=read.country)
            if read.deletion_due
            else ""
        )
        self.billing_grace_until = (
            regional.format_date(read.grace_until, timezone=read.timezone, language=self.lang, country=read.country)
            if read.grace_until
            else ""
        )
        self.trial_ends_on = (
            regional.format_date(read.trial_ends, timezone=read.timezone, language=self.lang, country=read.country)
            if read.trial_ends
            else ""
        )
        self.trial_over = read.trial_ends is not None and read.trial_ends <= utcnow()
        self.trial_policy = get_settings().billing_after_trial
        reason = read.suspended_reason or ""
        # A sentence of its own in the banner, whatever the operator typed.
        self.org_suspended_reason = reason if not reason or reason[-1] in ".!?…" else reason + "."
        self._shell_for, self._shell_read_at = key, time.time()
        return self._ask_browser_language()

    @rx.event
    def redirect_if_logged_in(self):
        """On-load of public pages (/, /login, /signup): a visitor with a live session goes straight to the
        dashboard; anyone else stays (on / they read what AVA is), in the browser's language on a first visit."""
        self._read_modes()
        self.form_error = ""
        if self._principal_or_none() is not None:
            return rx.redirect(routes.DASHBOARD)
        self._forget()
        return self._ask_browser_language()

    @rx.event
    async def login_with_password(self, form: dict):
        """Log in with email and password (argon2 runs off the event loop, so other users are not stalled)."""
        ip, user_agent = self._client_info()
        email, password = str(form.get("email", ""))[:320], str(form.get("password", ""))[:1024]
        self.form_error = ""
        self.busy = True
        yield

        def login() -> accounts.AuthResult:
            with session_scope() as session:
                return accounts.login(session, email=email, password=password, ip=ip, user_agent=user_agent)

        try:
            result = await asyncio.to_thread(login)
        except DomainError as error:
            self.form_error = self._error_text(error)
            return
        finally:
            self.busy = False
        yield self._signed_in(result, self._after_login())

    @rx.event
    async def resend_verification(self):
        """Send the email-verification link again (rate limited by the service)."""
        self.resend_busy = True
        yield
        call = await self._call_async(
            lambda s, p: accounts.resend_email_verification(s, principal=p), busy="resend_busy"
        )
        if call.refused:
            yield call.event
            return
        yield rx.toast.success(translate("verify_banner.sent", self.lang or "en"))

    @rx.event
    async def switch_organisation(self, tenant_id: str):
        """Make another of the caller's organisations current; the service refuses ids they are not a member of."""
        try:
            wanted = int(tenant_id)
        except (TypeError, ValueError):
            return None
        call = await self._call_async(lambda s, p: team.switch_organisation(s, principal=p, tenant_id=wanted))
        self._session_changed()
        if call.refused:
            return call.event
        # A full load so every page's data is read again for the new organisation.
        return rx.call_script("window.location.reload()")

    @rx.event
    def set_org_dialog_open(self, value: bool):
        self.org_dialog_open = value
        self.org_error = ""

    @rx.event
    async def create_organisation(self, form: dict):
        """Create another organisation with the caller as admin and open it."""
        self.org_error = ""
        name, industry = str(form.get("name", ""))[:200], str(form.get("industry", ""))[:40] or None
        ip = self._client_info()[0]

        def refused(error: DomainError) -> None:
            self.org_error = self._field_errors(error).get("name") or self._error_text(error)

        call = await self._call_async(
            lambda s, p: team.create_organisation(s, principal=p, name=name, industry=industry, ip=ip),
            on_error=refused,
        )
        self._session_changed()
        if call.refused:
            return call.event
        self.org_dialog_open = False
        return rx.call_script("window.location.assign('/dashboard')")

    async def _reset_signed_in_states(self) -> None:
        """Put every per-user state back to its defaults: Reflex keeps a tab's state across page loads, so what
        one account chose or typed (the number step's country, forms, lists) would otherwise greet the next account
        that logs in in the same tab. The interface language and the deployment's modes stay."""
        sandbox, has_dev_outbox = self.sandbox, self.has_dev_outbox
        pending, seen = list(AuthState.get_substates()), set()
        while pending:
            state_class = pending.pop()
            if state_class in seen:
                continue
            seen.add(state_class)
            pending.extend(state_class.get_substates())
            (await self.get_state(state_class)).reset()
        self.reset()
        self.sandbox, self.has_dev_outbox = sandbox, has_dev_outbox

    @rx.event
    async def logout(self):
        """End this session on the server and in the browser; the browser forgets it even if the server refuses.
        Every per-user state of the tab is reset, so nothing of this account shows to the next one."""
        ip = self._client_info()[0]
        await self._call_async(lambda s, p: accounts.logout(s, principal=p, ip=ip), on_error=lambda _error: None)
        self._session_changed()
        await self._reset_signed_in_states()
        return rx.call_script(
            "fetch('/api/v1/auth/browser-session', {method: 'DELETE', credentials: 'same-origin'})"
            f".finally(() => window.location.assign('{routes.LOGIN}'))"
        )
