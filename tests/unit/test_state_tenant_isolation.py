"""Cross-tenant isolation of the Reflex state events: organisation B's admin, with organisation A's ids in event
arguments and in backend vars, never reads or changes anything of A.

States run without a server: a root ``rx.State`` holds every AVA state, each handler's function is called on the
substate and whatever it returns or yields is collected (see ``run``). After each test A's rows are compared with a
snapshot taken before it, column by column (``snapshot``), and B's state is searched for A's marker strings.

``build_organisation_a``, ``build_organisation_b`` and ``snapshot`` also serve the API sweep in
tests/integration/test_cross_tenant_routes.py.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import reflex as rx
from reflex.istate.data import HeaderData, PageData, ReflexURL, RouterData
from sqlalchemy import or_, select
from sqlmodel import SQLModel

import ava_app.state as state_package
import ava_app.state.test_call as test_call_state
from ava_app import demo_data
from ava_app.api import downloads
from ava_app.db import session_scope
from ava_app.models import (
    ApiKey,
    AuditLog,
    AuthSession,
    BillingSubscription,
    Call,
    CallMessage,
    DataExport,
    Membership,
    Outbox,
    PhoneNumber,
    Tenant,
    User,
    UserIdentity,
    utcnow,
)
from ava_app.services import (
    accounts,
    api_keys,
    assistants,
    bookings,
    browser_sessions,
    call_blocking,
    calls,
    credentials,
    data_exports,
    integrations,
    phone_numbers,
    phones,
    rate_limits,
    team,
    trash,
    webhooks_out,
)
from ava_app.services.assistants import AssistantUpdate
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import NotFound
from ava_app.services.passwords import hash_password
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio
from ava_app.services.tokens import hash_secret
from ava_app.state import assistant as assistant_state
from ava_app.state.account import PhoneState
from ava_app.state.api_keys import ApiKeysState
from ava_app.state.assistant import AssistantFormState, AssistantState
from ava_app.state.auth import AuthState
from ava_app.state.billing import BillingState
from ava_app.state.blocked_callers import BlockedCallersState
from ava_app.state.booking_setup import BookingSetupState
from ava_app.state.bookings import BookingsState
from ava_app.state.business import BusinessRegionState
from ava_app.state.call_detail import CallDetailState
from ava_app.state.calls import CallsState
from ava_app.state.dashboard import DashboardState
from ava_app.state.deliveries import DeliveriesState
from ava_app.state.i18n import I18nState
from ava_app.state.integrations import IntegrationsState
from ava_app.state.notifications import NotificationsState
from ava_app.state.onboarding import OnboardingState
from ava_app.state.phone_numbers import NumberFlowState, PhoneNumbersState
from ava_app.state.privacy import PrivacyState
from ava_app.state.reach import ReachState
from ava_app.state.settings import AuditState, ProfileState, SecurityState
from ava_app.state.sign_in_providers import LinkedAccountsState
from ava_app.state.staff_editor import StaffEditorState
from ava_app.state.team import TeamState
from ava_app.state.text_back import TextBackState
from ava_app.state.trash import DeletedCallsState
from ava_app.state.webhook_secret import WebhookSecretState
from ava_app.state.webhooks import WebhooksState
from tests.factories import make_call, make_phone_number, make_user
from tests.unit.test_assistants import TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN, providers
from tests.unit.test_stripe_billing import stripe_env

__all__ = ["providers", "stripe_env"]

PASSWORD = "tulip-garage-42"
# A number in the tenant Twilio account of the emulator, imported by A. B is given the same Twilio credentials (two
# organisations run by one agency), so B's Twilio listings show it: it is Twilio's data, not A's, and is no marker.
SHARED_TWILIO_NUMBER = "+14155550177"
A_DESK_NUMBER = "+13125550142"
A_CALLER = "+16505550111"
A_OPENAI_KEY = "sk-alpha-leakcheck-7781"
# Strings only organisation A's data holds: none may appear in anything B reads.
A_MARKERS = (
    "Alpha Leakcheck",
    "alpha.example",
    "Alphonse",
    "Alpha Owner",
    "Alpha Member",
    A_DESK_NUMBER,
    A_CALLER,
    "ALPHA-TRANSCRIPT",
    "ALPHA-SUMMARY",
    "alpha-topic",
    "leakcheck-7781",
)


# --- the two organisations ----------------------------------------------------------------------------------------


@dataclass
class Organisation:
    """One organisation's people, sessions and rows, by id."""

    tenant_id: int
    admin: accounts.AuthResult
    user_ids: list[int]
    session_ids: list[int]
    assistant_id: int
    versions: list[int]
    number_ids: list[int]
    call_ids: list[int]
    invite_ids: list[int] = field(default_factory=list)
    api_key_ids: list[int] = field(default_factory=list)
    api_key: str = ""
    markers: tuple[str, ...] = ()

    @property
    def principal(self) -> Principal:
        return Principal(
            user_id=self.admin.user_id, tenant_id=self.tenant_id, role="admin", session_id=self.admin.session_id
        )


def _conversation(db, call: Call, lines: Iterable[tuple[str, str]]) -> None:
    for position, (role, text) in enumerate(lines):
        db.add(
            CallMessage(
                tenant_id=call.tenant_id,
                call_id=call.id,
                position=position,
                role=role,
                text=text,
                seconds_from_start=3.0 * position,
            )
        )
    db.commit()


def build_organisation_a(db) -> Organisation:
    """Organisation A with data of every kind: two members and three sessions, an invite, an API key, an assistant
    with versions and an FAQ, an imported Twilio number and a desk number, calls with their conversations, and its own
    OpenAI and Twilio credentials. Needs the ``providers`` emulators (and ``jobs`` to sync at once)."""
    admin = accounts.signup(
        db,
        name="Alpha Owner",
        email="owner@alpha.example",
        password=PASSWORD,
        organisation_name="Alpha Leakcheck Dental",
        industry="clinic",
    )
    tenant = db.get(Tenant, admin.tenant_id)
    owner = Principal(user_id=admin.user_id, tenant_id=tenant.id, role="admin", session_id=admin.session_id)
    member = make_user(
        db,
        tenant=tenant,
        role="user",
        email="member@alpha.example",
        name="Alpha Member",
        password_hash=hash_password(PASSWORD),
    )
    member_login = accounts.login(db, email=member.email, password=PASSWORD, user_agent="Alpha member phone")
    other_device = accounts.login(db, email="owner@alpha.example", password=PASSWORD, user_agent="Alpha laptop")
    invite = team.invite_member(db, principal=owner, email="next@alpha.example", role="viewer")
    key = api_keys.create_api_key(db, principal=owner, name="Alpha CRM", role="admin")

    assistant = assistants.get_or_create_assistant(db, principal=owner)
    for step in range(4):
        assistants.update_assistant(
            db,
            principal=owner,
            changes=AssistantUpdate(name="Alphonse", first_message=f"Alpha Leakcheck, hello ({step})"),
        )
    assistants.add_faq(db, principal=owner, question="Alpha Leakcheck parking?", answer="Behind the Alpha building.")
    integrations.save_integration(db, principal=owner, provider="openai", secret={"api_key": A_OPENAI_KEY})

    run_coroutine_sync(
        twilio.purchase_number(
            phone_number=SHARED_TWILIO_NUMBER, account_sid=TENANT_TWILIO_SID, auth_token=TENANT_TWILIO_TOKEN
        )
    )
    imported = phone_numbers.import_twilio_numbers(
        db,
        principal=owner,
        account_sid=TENANT_TWILIO_SID,
        auth_token=TENANT_TWILIO_TOKEN,
        numbers=[SHARED_TWILIO_NUMBER],
    )
    assert [n.e164 for n in imported.imported] == [SHARED_TWILIO_NUMBER], imported
    desk = make_phone_number(db, tenant=tenant, e164=A_DESK_NUMBER, label="Alpha desk", assistant_id=assistant.id)

    answered = make_call(
        db,
        tenant=tenant,
        assistant_id=assistant.id,
        phone_number_id=desk.id,
        called_number=A_DESK_NUMBER,
        caller_number=A_CALLER,
        transcript="User: ALPHA-TRANSCRIPT I need a cleaning.\nAI: Of course.",
        summary="ALPHA-SUMMARY: wants a cleaning on Tuesday.",
        summary_source="llm",
        summary_status="failed",
        email_status="failed",
        action_needed=True,
        topics=["alpha-topic"],
        sentiment="positive",
        recording_url="https://storage.vapi.invalid/alpha-leakcheck.wav",
        data_fields={"patient_name": "Alpha Patient"},
    )
    _conversation(db, answered, [("assistant", "Alpha Leakcheck, hello"), ("user", "ALPHA-TRANSCRIPT cleaning")])
    live = make_call(
        db,
        tenant=tenant,
        minutes_ago=1,
        status="in-progress",
        outcome=None,
        caller_number=A_CALLER,
        phone_number_id=desk.id,
        transcript="ALPHA-TRANSCRIPT live",
    )
    _conversation(db, live, [("user", "ALPHA-TRANSCRIPT still talking")])
    versions = [row.version for row in assistants.list_versions(db, principal=owner)]
    assert len(versions) >= 5
    return Organisation(
        tenant_id=tenant.id,
        admin=admin,
        user_ids=[admin.user_id, member.id],
        session_ids=[admin.session_id, member_login.session_id, other_device.session_id],
        assistant_id=assistant.id,
        versions=versions,
        number_ids=[imported.imported[0].id, desk.id],
        call_ids=[answered.id, live.id],
        invite_ids=[invite.id],
        api_key_ids=[key.id],
        api_key=key.key,
        markers=A_MARKERS + (key.prefix, "sk-a…7781"),
    )


def build_organisation_b(db) -> Organisation:
    """Organisation B: its admin (the one who tries), its assistant, one number and one call of its own."""
    admin = accounts.signup(
        db, name="Beta Owner", email="owner@beta.example", password=PASSWORD, organisation_name="Beta Bakery"
    )
    tenant = db.get(Tenant, admin.tenant_id)
    owner = Principal(user_id=admin.user_id, tenant_id=tenant.id, role="admin", session_id=admin.session_id)
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    number = make_phone_number(db, tenant=tenant, e164="+12125550163", label="Beta counter", assistant_id=assistant.id)
    call = make_call(
        db, tenant=tenant, assistant_id=assistant.id, phone_number_id=number.id, caller_number="+17185550123"
    )
    _conversation(db, call, [("assistant", "Beta Bakery, hi"), ("user", "Do you have croissants?")])
    return Organisation(
        tenant_id=tenant.id,
        admin=admin,
        user_ids=[admin.user_id],
        session_ids=[admin.session_id],
        assistant_id=assistant.id,
        versions=[],
        number_ids=[number.id],
        call_ids=[call.id],
    )


def snapshot(engine, organisation: Organisation) -> dict[str, list[tuple]]:
    """Every column of every row the organisation owns or that points at one of its rows, table by table.

    Owned: the tenant, its members' users, every row with its ``tenant_id``, and (following foreign keys, parents
    first) every row referencing an owned row: sessions, refresh tokens, versions, messages... A row another
    organisation created pointing at A's assistant or number shows up here too.
    """
    owned: dict[str, set] = {"tenant": {organisation.tenant_id}, "user": set(organisation.user_ids)}
    tables: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            conditions = []
            if "tenant_id" in table.c:
                conditions.append(table.c.tenant_id == organisation.tenant_id)
            if table.name in owned and "id" in table.c:
                conditions.append(table.c.id.in_(owned[table.name]))
            for column in table.c:
                for key in column.foreign_keys:
                    parents = owned.get(key.column.table.name)
                    if parents:
                        conditions.append(column.in_(parents))
            if not conditions:
                continue
            rows = connection.execute(select(table).where(or_(*conditions))).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
            if "id" in table.c:
                owned.setdefault(table.name, set()).update(row.id for row in rows)
    return tables


def assert_unchanged(engine, organisation: Organisation, before: dict) -> None:
    after = snapshot(engine, organisation)
    changed = {name: (before.get(name), rows) for name, rows in after.items() if before.get(name) != rows}
    assert not changed, f"organisation A's rows changed: {changed}"


def leaked_markers(text: str, organisation: Organisation) -> list[str]:
    return [marker for marker in organisation.markers if marker in text]


# --- running state events without a server -------------------------------------------------------------------------


class HeldState:
    """What a background handler gets as ``self`` here: the state itself, with an ``async with`` that does nothing.

    In the app, reflex passes a ``StateProxy`` whose ``async with`` re-reads the state from the state manager and
    holds its lock. A bare state has no manager behind it, and the lock only orders writes between events, so the
    handler's own code (its session check, its service calls, what it writes and yields) runs unchanged on the one
    instance.
    """

    def __init__(self, state: rx.State) -> None:
        object.__setattr__(self, "_held_state", state)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._held_state, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._held_state, name, value)

    async def __aenter__(self) -> HeldState:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


def describe(event: Any) -> str:
    """A short name for what a handler answered: ``toast:error``, ``redirect:/login``, ``script:<code>``,
    ``handler:<State.name>`` (an event it chains), ``call_function`` (other client-side calls, e.g. a scroll)."""
    if isinstance(event, rx.event.EventHandler):
        return f"handler:{event.fn.__qualname__}"
    handler = getattr(event, "handler", None)
    name = handler.fn.__qualname__ if handler is not None else type(event).__name__
    args = {str(key): getattr(value, "_var_value", value) for key, value in getattr(event, "args", ())}
    if name == "_call_function" and "__toast" in repr(event):
        kind = next((kind for kind in ("error", "warning", "success", "info") if f'["{kind}"]' in repr(event)), "?")
        return f"toast:{kind}"
    if name == "_redirect":
        return f"redirect:{args.get('path')}"
    if name == "_call_script":
        return f"script:{args.get('javascript_code')}"
    if name == "_call_function":
        return "call_function"
    return f"event:{name}"


def _flatten(items: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, list | tuple):
            flat.extend(_flatten(item))
        else:
            flat.append(item)
    return flat


async def run(state: rx.State, name: str, *args: Any) -> list[str]:
    """Run one event handler of ``state``'s class with ``args`` and describe what it answered, in order.

    The handler may return an event, a list or nothing, or be a generator, a coroutine or an async generator. Events
    it answers with are described, not run: a test runs a follow-up handler itself when it matters.
    """
    handler = type(state).event_handlers[name]
    result = handler.fn(HeldState(state) if handler.is_background else state, *args)
    produced: list[Any] = []
    if inspect.isasyncgen(result):
        produced.extend([item async for item in result])
    elif inspect.isgenerator(result):
        # As reflex does, the generator's return value counts as one more event.
        while True:
            try:
                produced.append(next(result))
            except StopIteration as stop:
                produced.append(stop.value)
                break
    else:
        produced.append(await result if inspect.isawaitable(result) else result)
    return [describe(event) for event in _flatten(produced)]


def browser_cookie(admin: accounts.AuthResult) -> str:
    """The ``Cookie`` header of a browser signed in as ``admin`` (its login's grant redeemed, as the page does)."""
    with session_scope() as session:
        auth_session = session.get(AuthSession, admin.session_id)
        token = _BROWSER_TOKENS.get(admin.session_id, "")
        if auth_session.browser_token_hash is None or auth_session.browser_token_hash != hash_secret(token):
            auth_session.browser_token_hash = None
            session.add(auth_session)
            session.commit()
            grant = browser_sessions.issue_cookie_grant(session_id=admin.session_id, user_id=admin.user_id)
            token = _BROWSER_TOKENS[admin.session_id] = browser_sessions.redeem_cookie_grant(session, grant=grant)
    return f"{browser_sessions.COOKIE_NAME}={token}"


# A signed-in test browser's cookie per session, so several states of one test share the admin's login.
_BROWSER_TOKENS: dict[int, str] = {}


def state_of(cls: type[rx.State], organisation: Organisation) -> Any:
    """A fresh instance of ``cls`` in its own state tree, signed in as the organisation's admin, in a browser that
    has its language chosen (as after the login page)."""
    root = rx.State(_reflex_internal_init=True)
    root.get_substate(I18nState.get_full_name().split(".")[1:]).lang = "en"
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.router = RouterData(headers=HeaderData(cookie=browser_cookie(organisation.admin)))
    return state


def open_page(state: rx.State, url: str, route: str, params: dict[str, str] | None = None) -> None:
    """Put ``state`` on a page the way the browser's router does: the route, its dynamic params, the query."""
    query = {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}
    state.router = RouterData(
        headers=state.router.headers,  # the connection's cookie stays
        _page=PageData(host="http://testserver", path=route, raw_path=url, params={**query, **(params or {})}),
        url=ReflexURL(f"http://testserver{url}"),
        route_id=route,
    )


def visible_text(state: rx.State) -> str:
    """Everything the state holds, sent to the browser or not (backend vars included)."""
    return repr({name: getattr(state, name, None) for name in type(state).get_fields()})


def assert_nothing_of(organisation: Organisation, state: rx.State) -> None:
    assert leaked_markers(visible_text(state), organisation) == []


def link_token(events: list[str]) -> str:
    """The signed token inside a ``window.avaDownload(url, ...)`` script."""
    script = next(event for event in events if event.startswith("script:window.avaDownload("))
    url = json.loads("[" + script.removeprefix("script:window.avaDownload(").removesuffix(")") + "]")[0]
    return parse_qs(urlsplit(url).query)["token"][0]


# --- fixtures -----------------------------------------------------------------------------------------------------


@dataclass
class World:
    a: Organisation
    b: Organisation
    before: dict


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    """The app module registers every page and state (imported here rather than at collection)."""
    importlib.import_module("ava_app.ava_app")


@pytest.fixture()
def world(engine, db, jobs, providers, monkeypatch) -> World:
    """A and B, and A's rows as they are before B tries anything. Jobs run at once, so a job B's event wrongly
    queued for A's rows would show in the snapshot; syncs are watched for half a second at most."""
    monkeypatch.setattr(assistant_state, "SYNC_WAIT_SECONDS", 1)
    monkeypatch.setattr("ava_app.state.phone_numbers.SYNC_WAIT_SECONDS", 1)
    rate_limits.reset_rate_limits()
    a = build_organisation_a(db)
    b = build_organisation_b(db)
    yield World(a=a, b=b, before=snapshot(engine, a))
    rate_limits.reset_rate_limits()


# --- which handlers touch data ------------------------------------------------------------------------------------

# Handlers with no signed-in tenant to cross: their only input is what a visitor types or a token from an email.
PUBLIC_HANDLERS = {
    "AuthState.login_with_password",
    # Sign in with Google / Microsoft: the browser's binding cookie and the provider's verified answer are the input
    # (tests/integration/test_sign_in_providers_api.py).
    "ProviderSignInState.load_login",
    "ProviderSignInState.load_signup",
    "ProviderSignInState.finish_signup",
    "SignupState.signup",
    "LoginState.send_magic_link",
    "LoginState.send_sms_code",
    "LoginState.login_with_sms_code",
    "LinkState.check_link",
    "LinkState.login_with_link",
    "LinkState.verify_email",
    "PasswordState.forgot_password",
    "PasswordState.reset_password",
    "InviteState.load_invite",
    "InviteState.accept",
    "InviteState.signup_and_accept",
    # The sandbox-only mail and SMS viewer of /dev/outbox; without a sandbox channel it only redirects.
    "OutboxState.load_messages",
}
# Every handler that reads or changes tenant data, each exercised as B below.
COVERED_HANDLERS = {
    "AuthState.require_login",
    "AuthState.redirect_if_logged_in",
    "AuthState.resend_verification",
    "AuthState.switch_organisation",
    "AuthState.create_organisation",
    "AuthState.logout",
    "CallDetailState.load_call",
    "CallDetailState.refresh",
    "CallDetailState.set_action_done",
    "CallDetailState.delete_call",
    "CallDetailState.retry_summary",
    "CallDetailState.rerun_summary",
    "CallDetailState.export",
    "CallDetailState.block_caller",
    "CallDetailState.unblock_caller",
    "CallDetailState.set_spam",
    "BillingState.load_billing",
    "BillingState.choose_plan",
    "BillingState.manage_billing",
    "BlockedCallersState.load_blocked",
    "DeletedCallsState.load_deleted",
    "DeletedCallsState.load_more_deleted",
    "DeletedCallsState.restore_call",
    "DeletedCallsState.set_grace_days",
    "BlockedCallersState.add_blocked",
    "BlockedCallersState.remove_blocked",
    "BlockedCallersState.set_block_withheld",
    "BookingSetupState.load_booking_setup",
    "BookingSetupState.set_booking_on",
    "BookingSetupState.save_service_field",
    "BookingSetupState.add_setup_service",
    "BookingSetupState.remove_setup_service",
    "DeliveriesState.load_deliveries",
    "DeliveriesState.load_more_deliveries",
    "DeliveriesState.retry_delivery",
    "CallsState.load_calls",
    "BookingsState.load_bookings",
    "BookingsState.show_week",
    "BookingsState.set_view",
    "BookingsState.set_filter_staff",
    "BookingsState.set_filter_service",
    "BookingsState.open_create",
    "BookingsState.open_edit",
    "BookingsState.set_form_service",
    "BookingsState.set_form_staff",
    "BookingsState.set_form_day",
    "BookingsState.save_booking",
    "BookingsState.confirm_cancel",
    "BookingsState.toggle_settings",
    "BookingsState.save_rules",
    "BookingsState.add_service",
    "BookingsState.deactivate_service",
    "BookingsState.add_staff",
    "CallsState.delete_selected",
    "CallsState.export",
    "DashboardState.load_dashboard",
    "DashboardState.set_period",
    "DashboardState.set_chart_days",
    "DashboardState.dismiss_setup",
    "DashboardState.give_out_ava_number",
    "NotificationsState.load_notifications",
    "NotificationsState.save_notifications",
    "PrivacyState.load_privacy",
    "TextBackState.load_text_back",
    "StaffEditorState.open_staff",
    "StaffEditorState.save_staff",
    "TextBackState.set_text_back_missed",
    "TextBackState.set_text_back_after_hours",
    "PrivacyState.save_privacy",
    "PrivacyState.save_retention",
    "PrivacyState.find_caller",
    "PrivacyState.export_caller",
    "PrivacyState.export_organisation",
    "PrivacyState.refresh_exports",
    "PrivacyState.retry_export",
    "PrivacyState.download_export",
    "PrivacyState.erase_caller",
    "PrivacyState.request_org_deletion",
    "PrivacyState.cancel_org_deletion",
    "ApiKeysState.load_api_keys",
    "ApiKeysState.create_key",
    "ApiKeysState.revoke_key",
    "WebhooksState.load_webhooks",
    "WebhooksState.add_endpoint",
    "WebhooksState.rotate_secret",
    "WebhooksState.set_endpoint_enabled",
    "WebhooksState.delete_endpoint",
    "WebhooksState.send_test",
    "WebhooksState.show_log",
    "WebhooksState.resend",
    "PhoneNumbersState.load_numbers",
    "PhoneNumbersState.open_config",
    "PhoneNumbersState.save_config",
    "PhoneNumbersState.watch_sync",
    "PhoneNumbersState.retry_sync",
    "PhoneNumbersState.release",
    "NumberFlowState.reset_flow",
    "NumberFlowState.search",
    "NumberFlowState.provision",
    "NumberFlowState.verify_twilio",
    "NumberFlowState.import_numbers",
    "TeamState.load_team",
    "TeamState.invite",
    "TeamState.confirm",
    "SecurityState.load_sessions",
    "SecurityState.revoke",
    "LinkedAccountsState.load_linked",
    "LinkedAccountsState.unlink",
    "AuditState.load_audit",
    "AuditState.next_page",
    "AuditState.previous_page",
    "ProfileState.load_profile",
    "ProfileState.save_profile",
    "ProfileState.change_password",
    "ProfileState.delete_account",
    "PhoneState.load_phone",
    "PhoneState.send_phone_code",
    "PhoneState.confirm_phone",
    "PhoneState.remove_phone",
    "CalendarState.load_calendars",
    "CalendarState.disconnect",
    "CrmState.load_crm",
    "CrmState.save_token",
    "CrmState.disconnect",
    "IntegrationsState.load_integrations",
    "IntegrationsState.save",
    "IntegrationsState.test",
    "IntegrationsState.remove",
    "WebhookSecretState.load_webhook_secret",
    "BusinessRegionState.load_region",
    "BusinessRegionState.save_region",
    "WebhookSecretState.rotate_webhook_secret",
    "TestCallState.reset_call",
    "TestCallState.start_call",
    "TestCallState.end_call",
    "AssistantFormState.load_form",
    "AssistantState.load_assistant",
    "AssistantState.save_assistant",
    "AssistantState.follow_sync",
    "AssistantState.retry_sync",
    "AssistantState.save_faq",
    "AssistantState.delete_faq",
    "AssistantState.move_faq",
    "AssistantState.import_faq",
    "AssistantState.restore_version",
    "AssistantState.apply_preset",
    "AssistantState.confirm_faq",
    "AssistantState.accept_site_items",
    "AssistantState.use_site_hours",
    "AssistantFormState.import_site",
    "AssistantFormState.accept_site_items",
    "OnboardingState.load_wizard",
    "OnboardingState.go_to",
    "OnboardingState.next_step",
    "OnboardingState.back",
    "OnboardingState.choose_industry",
    "OnboardingState.save_personalise",
    "OnboardingState.go_live",
    "OnboardingState.refresh_numbers",
    "ReachState.load_reach",
    "ReachState.save_line",
    "ReachState.check_again",
    "ReachState.place_call",
    "ReachState.simulate_forwarded_call",
    "ReachState.start_check",
    # Platform admins only: an organisation's admin reads the refusal and retries nothing.
    "DeadLettersState.load_dead_letters",
    "DeadLettersState.load_more",
    "DeadLettersState.retry",
    "UsageState.load_usage",
    "AdminUsageState.load_margins",
    "AdminUsageState.confirm_suspend",
    "AdminUsageState.resume",
    "AdminUsageState.change_plan",
    "SupportState.load_support",
}
DATA_ACCESS = re.compile(r"\b_principal\(|\bsession_scope\(")
SELF_CALL = re.compile(r"\bself\.(\w+)\(")


def _ava_states() -> list[type[rx.State]]:
    for module in pkgutil.iter_modules(state_package.__path__):
        importlib.import_module(f"{state_package.__name__}.{module.name}")

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return list(dict.fromkeys(cls for cls in walk(rx.State) if cls.__module__.startswith("ava_app.")))


def _touches_data(cls: type, function: Any, seen: set[str]) -> bool:
    """Whether ``function`` checks the session or opens a database session, itself or through ``self._helpers``."""
    source = textwrap.dedent(inspect.getsource(function))
    if DATA_ACCESS.search(source):
        return True
    for name in SELF_CALL.findall(source):
        if name in seen:
            continue
        seen.add(name)
        helper = getattr(cls, name, None)
        helper = getattr(helper, "fn", helper)
        if inspect.isfunction(helper) and _touches_data(cls, helper, seen):
            return True
    return False


def test_every_handler_that_touches_data_is_covered():
    found = set()
    for cls in _ava_states():
        for name, handler in cls.event_handlers.items():
            if handler.fn.__qualname__ == f"{cls.__name__}.{name}" and _touches_data(cls, handler.fn, set()):
                found.add(f"{cls.__name__}.{name}")
    assert found - PUBLIC_HANDLERS - COVERED_HANDLERS == set(), "new handlers: add a cross-tenant test for them"
    assert (COVERED_HANDLERS | PUBLIC_HANDLERS) - found == set(), "listed handlers that no longer touch data"


# --- calls ----------------------------------------------------------------------------------------------------------


async def test_call_detail_refuses_another_organisations_call(world, engine):
    a, b = world.a, world.b
    state = state_of(CallDetailState, b)
    # B's own call loads from the URL, so the id below really goes through the router.
    open_page(state, f"/calls/{b.call_ids[0]}", "/calls/[id]", {"id": str(b.call_ids[0])})
    assert await run(state, "load_call") == []
    assert state.call["id"] == b.call_ids[0] and not state.not_found
    # The actions tried below succeed on B's own call, so their refusals come from the organisation alone.
    assert await run(state, "set_action_done", True) == ["toast:success"]
    assert await run(state, "retry_summary") == ["toast:success"]

    for call_id in a.call_ids:
        open_page(state, f"/calls/{call_id}", "/calls/[id]", {"id": str(call_id)})
        assert await run(state, "load_call") == []
        assert state.not_found and state.loaded
        assert (state.call, state.messages, state.recording_src) == ({}, [], "")

    # Every action on the open call, with A's call behind the page.
    state._call_id, state.watching = a.call_ids[0], True
    assert await run(state, "refresh") == ["toast:error"]
    assert await run(state, "set_action_done", True) == ["toast:error"]
    assert await run(state, "set_action_done", False) == ["toast:error"]
    assert await run(state, "retry_summary") == ["toast:error"]
    assert await run(state, "rerun_summary") == ["toast:error"]
    # The export link is signed for B's session; redeeming it looks the call up inside B, where it does not exist.
    token = link_token(await run(state, "export", "json"))
    for fmt in ("json", "txt"):
        with pytest.raises(NotFound):
            await downloads.call_file(a.call_ids[0], fmt, token=token)
    # move_to_trash only deletes ids of the caller's organisation: nothing of A goes (the page still says "deleted").
    assert await run(state, "delete_call") == ["toast:success", "redirect:/calls"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_call_detail_never_blocks_or_marks_spam_through_another_organisations_call(world, engine):
    a, b = world.a, world.b
    state = state_of(CallDetailState, b)
    # On B's own call both work, so the refusals below come from the organisation alone.
    open_page(state, f"/calls/{b.call_ids[0]}", "/calls/[id]", {"id": str(b.call_ids[0])})
    assert await run(state, "load_call") == []
    assert state.blockable and not state.caller_blocked
    assert await run(state, "block_caller") == ["toast:success"]
    assert await run(state, "unblock_caller") == ["toast:success"]
    assert await run(state, "set_spam", True) == ["toast:success"] and state.call["spam"]
    assert await run(state, "set_spam", False) == ["toast:success"] and not state.call["spam"]

    state._call_id = a.call_ids[0]
    assert await run(state, "block_caller") == ["toast:error"]
    assert await run(state, "unblock_caller") == ["toast:error"]
    assert await run(state, "set_spam", True) == ["toast:error"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_calls_list_never_shows_selects_or_deletes_another_organisations_calls(world, engine):
    a, b = world.a, world.b
    state = state_of(CallsState, b)
    open_page(state, "/calls", "/calls")
    assert await run(state, "load_calls") == []
    assert [row["id"] for row in state.rows] == b.call_ids
    assert {option["value"] for option in state.number_options} == {str(i) for i in b.number_ids}
    assert {option["value"] for option in state.assistant_options} == {str(b.assistant_id)}
    assert_nothing_of(a, state)

    # A's number and assistant as URL filters find nothing.
    open_page(state, f"/calls?phone_number_id={a.number_ids[1]}&assistant_id={a.assistant_id}", "/calls")
    assert await run(state, "load_calls") == []
    assert state.rows == []

    open_page(state, "/calls", "/calls")
    await run(state, "load_calls")
    assert await run(state, "toggle_row", a.call_ids[0], True) == []
    assert state.selected == []
    await run(state, "toggle_row", b.call_ids[0], True)
    assert state.selected == b.call_ids

    # As if the browser had put A's ids in the selection: the export holds none of them, and nothing is deleted.
    state.selected = list(a.call_ids)
    token = link_token(await run(state, "export", "csv"))
    body = "".join([chunk.decode() async for chunk in downloads.calls_file("csv", token=token).body_iterator])
    assert body.count("\n") == 1 and leaked_markers(body, a) == []  # the header line only
    state.selected = list(a.call_ids)
    assert await run(state, "delete_selected") == ["toast:success"]  # "0 calls deleted"
    assert [row["id"] for row in state.rows] == b.call_ids

    # A page cursor naming A's call (and a moment after every call) still reads B's calls only.
    forged = calls.encode_cursor(sort="date", direction="desc", key=utcnow() + timedelta(days=1), call_id=a.call_ids[1])
    state.has_more, state._next_cursor = True, forged
    assert await run(state, "next_page") == ["redirect:/calls?page=2", "call_function"]  # and back to the top
    open_page(state, "/calls?page=2", "/calls")
    assert await run(state, "load_calls") == []  # the kept (forged) cursor reaches page 2
    assert [row["id"] for row in state.rows] == b.call_ids and state.page == 2
    assert await run(state, "previous_page") == ["redirect:/calls", "call_function"]
    # A page number with no cursor kept (a reload, a shared link) walks B's own calls, and counts B's only.
    state.loaded = False
    open_page(state, "/calls?page=3", "/calls")
    assert await run(state, "load_calls") == []
    assert [row["id"] for row in state.rows] == b.call_ids and state.page == 1
    assert state.count_label == ("1 call" if len(b.call_ids) == 1 else f"{len(b.call_ids)} calls")
    # A filter's change applies at once, to B's calls only.
    assert await run(state, "set_filter", "assistant_id", str(a.assistant_id)) == [
        f"redirect:/calls?assistant_id={a.assistant_id}"
    ]
    open_page(state, f"/calls?assistant_id={a.assistant_id}", "/calls")
    assert await run(state, "load_calls") == []
    assert state.rows == [] and state.count_label == "0 calls"
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_dashboard_shows_only_the_callers_organisation(world, engine):
    a, b = world.a, world.b
    state = state_of(DashboardState, b)
    assert await run(state, "load_dashboard") == []
    assert [row["id"] for row in state.recent] == b.call_ids and state.live == []
    # A push of A's changes to B's tab reads nothing and drops the tab; a push of B's own reads B's figures again.
    open_page(state, "/dashboard", "/dashboard")
    assert state._live_refresh(a.tenant_id) is False
    assert state._live_refresh(b.tenant_id) is True
    assert state.action_needed == 0 and state.topics == []
    # The period and chart switches read B's summary again, and only B's.
    assert await run(state, "set_period", "month") == []
    assert await run(state, "set_chart_days", "30") == []
    assert (state.period, state.chart_days) == ("month", 30)
    assert [row["id"] for row in state.recent] == b.call_ids and state.live == []
    assert len(state.day_figure["data"][0]["x"]) == 30
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_setup_checklist_and_notification_choices_change_only_the_caller(world, engine, db):
    """B's admin dismisses B's checklist, says B gives out its number, saves B's notifications: A is untouched."""
    a, b = world.a, world.b
    dashboard = state_of(DashboardState, b)
    assert await run(dashboard, "load_dashboard") == []
    assert [item["key"] for item in dashboard.setup_items][:2] == ["email_verified", "number"]
    assert await run(dashboard, "give_out_ava_number") == ["toast:success"]
    assert next(item for item in dashboard.setup_items if item["key"] == "forwarding")["done"] is True
    assert await run(dashboard, "dismiss_setup") == ["toast:success"]
    assert dashboard.setup_show is False
    notifications = state_of(NotificationsState, b)
    assert await run(notifications, "load_notifications") == []
    await run(notifications, "set_per_call", "action")
    await run(notifications, "set_digest", True)
    assert await run(notifications, "save_notifications") == ["toast:success"]
    with session_scope() as session:
        b_member = session.exec(
            select(Membership).where(Membership.user_id == b.admin.user_id, Membership.tenant_id == b.tenant_id)
        ).scalar_one()
        assert (b_member.notify_mode, b_member.notify_digest) == ("action", True)
        assert b_member.notify_chosen_at is not None and b_member.setup_dismissed_at is not None
        assert session.get(Tenant, b.tenant_id).gives_out_ava_number_at is not None
    assert_nothing_of(a, dashboard)
    assert_nothing_of(a, notifications)
    assert_unchanged(engine, a, world.before)


# --- phone numbers --------------------------------------------------------------------------------------------------


async def test_phone_numbers_of_another_organisation_cannot_be_opened_saved_synced_or_released(world, engine, db):
    a, b = world.a, world.b
    state = state_of(PhoneNumbersState, b)
    # The list is followed by "How calls reach AVA" on the same page, for B's first number.
    assert await run(state, "load_numbers") == ["handler:ReachState.load_reach"]
    assert [row["id"] for row in state.numbers] == [str(i) for i in b.number_ids]

    for number_id in a.number_ids:
        state.editing_id = 0
        assert await run(state, "open_config", str(number_id)) == []
        assert state.editing_id == 0
        # Saving with A's number being edited (as if the id had been forged).
        state.editing_id, state.route_to = number_id, "none"
        assert await run(state, "save_config") == ["toast:error"]
        assert await run(state, "retry_sync", str(number_id)) == [
            "toast:error",
            "handler:PhoneNumbersState.load_numbers",
        ]
        await run(state, "ask_release", str(number_id), "+10000000000")
        assert await run(state, "release") == ["toast:error"]
        # The watch after a save reads B's numbers only: A's id is not there, so it stops without a word.
        assert await run(state, "watch_sync", str(number_id)) == []

    # B's own number routed to A's assistant: refused field by field, and B's number keeps its assistant.
    assert await run(state, "open_config", str(b.number_ids[0])) == []
    state.route_to = str(a.assistant_id)
    assert await run(state, "save_config") == []
    assert state.config_errors == {"assistant_id": "This assistant does not exist."}
    db.expire_all()
    assert db.get(PhoneNumber, b.number_ids[0]).assistant_id == b.assistant_id
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_number_flow_never_takes_another_organisations_number(world, engine, db):
    a, b = world.a, world.b
    state = state_of(NumberFlowState, b)
    await run(state, "reset_flow")
    await run(state, "set_use_sandbox_account", False)
    state.account_sid, state._auth_token = TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN
    assert await run(state, "verify_twilio") == []
    # The shared Twilio account lists A's number, but never as being in B's AVA.
    assert {row["phone_number"]: row["in_ava"] for row in state.twilio_numbers} == {SHARED_TWILIO_NUMBER: ""}
    await run(state, "toggle_import", SHARED_TWILIO_NUMBER, True)
    assert await run(state, "import_numbers") == []
    assert state.added == [] and state.skipped == [f"{SHARED_TWILIO_NUMBER}: This number is already connected in AVA."]

    # Getting a number of B's own lands in B.
    state.country, state.area_code = "US", "415"
    assert await run(state, "search") == []
    assert state.results and state.selected
    events = await run(state, "provision")
    assert events[0] == "toast:success", events
    db.expire_all()
    newest = db.exec(select(PhoneNumber).order_by(PhoneNumber.id.desc())).first()[0]
    assert newest.tenant_id == b.tenant_id and phones.display(newest.e164, "US") == state.added[0]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


# --- team, sessions, audit, profile, organisations ---------------------------------------------------------------


async def test_team_actions_on_another_organisations_members_and_invites_are_refused(world, engine):
    a, b = world.a, world.b
    state = state_of(TeamState, b)
    assert await run(state, "load_team") == []
    assert [row["email"] for row in state.members] == ["owner@beta.example"] and state.invites == []

    attempts = [
        ("ask_change_role", a.user_ids[1], "Alpha Member", "admin"),
        ("ask_change_role", a.user_ids[0], "Alpha Owner", "viewer"),
        ("ask_remove", a.user_ids[1], "Alpha Member"),
        ("ask_remove", a.user_ids[0], "Alpha Owner"),
        ("ask_revoke_invite", a.invite_ids[0], "next@alpha.example"),
    ]
    for ask, *args in attempts:
        await run(state, ask, *args)
        assert state.confirm_kind
        assert await run(state, "confirm") == ["toast:error"], ask
    # Leaving as B's only admin is refused too; B's own invitation is B's.
    await run(state, "ask_leave")
    assert await run(state, "confirm") == ["toast:error"]
    events = await run(state, "invite", {"email": "baker@beta.example"})
    assert events[-2:] == ["handler:TeamState.load_team", "toast:success"], events
    await run(state, "load_team")
    assert [row["email"] for row in state.invites] == ["baker@beta.example"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_sessions_of_another_user_cannot_be_listed_or_revoked(world, engine):
    a, b = world.a, world.b
    state = state_of(SecurityState, b)
    assert await run(state, "load_sessions") == []
    assert [row["id"] for row in state.sessions] == b.session_ids
    for session_id in a.session_ids:
        await run(state, "ask_revoke", session_id, False)
        assert await run(state, "revoke") == ["toast:error"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_provider_accounts_of_another_user_cannot_be_listed_or_unlinked(world, engine, db):
    a, b = world.a, world.b
    db.add(
        UserIdentity(user_id=a.admin.user_id, provider="google", subject="a-google-subject", email="a@gmail.example")
    )
    db.commit()
    before = snapshot(engine, a)  # A's linked account included
    state = state_of(LinkedAccountsState, b)
    open_page(state, "/settings/security", "/settings/security")
    assert await run(state, "load_linked") == []
    assert [row["linked"] for row in state.linked] == [False, False]
    assert "a@gmail.example" not in visible_text(state)
    assert await run(state, "unlink", "google") == []
    db.expire_all()
    assert list(db.exec(select(UserIdentity.user_id)).scalars()) == [a.admin.user_id]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_recently_deleted_pages_through_the_callers_organisation_only(world, engine, db):
    """Past a page of deleted calls: "Show more" adds B's next ones, counted; never one of A's, even from a place
    taken from A's trash."""
    a, b = world.a, world.b
    trash.move_to_trash(db, principal=a.principal, call_ids=a.call_ids)
    demo_data.generate_calls(db, tenant_id=b.tenant_id, count=trash.PAGE + 20, seed=5)
    ids = [row[0] for row in db.execute(select(Call.id).where(Call.tenant_id == b.tenant_id)).all()]
    trash.move_to_trash(db, principal=b.principal, call_ids=ids)
    before = snapshot(engine, a)
    state = state_of(DeletedCallsState, b)
    assert await run(state, "load_deleted") == []
    assert len(state.trash_rows) == trash.PAGE and state.trash_total == len(ids) and state.trash_next
    assert state.trash_count_text == f"{len(ids)} deleted calls · {trash.PAGE} shown"
    assert await run(state, "load_more_deleted") == []
    assert sorted(row["id"] for row in state.trash_rows) == sorted(ids) and state.trash_next == ""
    assert state.trash_count_text == f"{len(ids)} deleted calls"
    # A restore keeps as many rows shown as there were, less the restored one.
    assert await run(state, "restore_call", ids[0]) == ["toast:success"]
    assert len(state.trash_rows) == len(ids) - 1 and state.trash_total == len(ids) - 1
    # A place from A's trash still lists B's calls only.
    newest_of_a = trash.list_deleted(db, principal=a.principal, limit=1).next_after
    state.trash_next = newest_of_a.text()
    assert await run(state, "load_more_deleted") == []
    assert not {row["id"] for row in state.trash_rows} & set(a.call_ids)
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_audit_log_shows_only_the_callers_organisation(world, engine, db):
    a, b = world.a, world.b
    state = state_of(AuditState, b)
    assert await run(state, "load_audit") == []
    b_entries = {row.id for row in db.exec(select(AuditLog).where(AuditLog.tenant_id == b.tenant_id)).scalars()}
    assert state.entries and {row["id"] for row in state.entries} <= b_entries
    state.has_next = True
    assert await run(state, "next_page") == [] and state.entries == []
    assert await run(state, "previous_page") == [] and {row["id"] for row in state.entries} <= b_entries
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_profile_events_change_only_the_caller(world, engine):
    a, b = world.a, world.b
    state = state_of(ProfileState, b)
    assert await run(state, "load_profile") == []
    assert (state.name, state._email) == ("Beta Owner", "owner@beta.example")
    assert await run(state, "save_profile", {"name": "Beta Baker", "phone": ""}) == ["toast:success"]
    await run(state, "change_password", {"current_password": "not-it-at-all", "new_password": "another-tulip-77"})
    assert state.errors
    # Deleting an account is the caller's own: a wrong password deletes nothing, here or in A.
    assert state.account_confirm_kind == "password"
    await run(state, "ask_delete_account", {"confirmation": "not-it-at-all"})
    assert state.account_dialog
    assert await run(state, "delete_account") == []
    assert state.account_error == "That is not your password." and not state.account_dialog
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_phone_events_never_take_or_touch_another_organisations_number(world, engine, db, providers):
    a, b = world.a, world.b
    a_owner_phone = "+33655501234"
    owner = db.get(User, a.admin.user_id)
    owner.phone, owner.phone_verified_at = a_owner_phone, utcnow()
    db.add(owner)
    db.commit()
    before = snapshot(engine, a)

    def last_code(to: str) -> str:
        return re.search(r"\d{4,10}", [body for number, body in providers.twilio.delivered if number == to][-1])[0]

    state = state_of(PhoneState, b)
    assert await run(state, "load_phone") == [] and (state.phone, state.phone_verified) == ("", False)
    # B asks for A's owner's number: the code goes to that phone, and even with it B cannot take the number.
    await run(state, "send_phone_code", {"phone": a_owner_phone})
    assert state.pending_phone == a_owner_phone
    assert await run(state, "confirm_phone", {"code": last_code(a_owner_phone)}) == []
    assert "already confirmed on another AVA account" in state.code_error and state.phone == ""
    await run(state, "change_number")
    await run(state, "send_phone_code", {"phone": "+33655509876"})
    assert await run(state, "confirm_phone", {"code": last_code("+33655509876")}) == ["toast:success"]
    assert (state.phone, state.phone_verified) == ("+33 6 55 50 98 76", True)
    assert await run(state, "remove_phone") == ["toast:success"] and state.phone == ""
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_shell_never_switches_to_or_shows_another_organisation(world, engine, db):
    a, b = world.a, world.b
    state = state_of(AuthState, b)
    assert await run(state, "require_login") == []
    assert (state.tenant_name, state.user_email) == ("Beta Bakery", "owner@beta.example")
    assert [org["id"] for org in state.organisations] == [b.tenant_id]
    assert await run(state, "redirect_if_logged_in") == ["redirect:/dashboard"]
    await run(state, "resend_verification")

    assert await run(state, "switch_organisation", str(a.tenant_id)) == ["toast:error"]
    db.expire_all()
    assert db.get(AuthSession, b.admin.session_id).tenant_id == b.tenant_id
    assert_nothing_of(a, state)

    # A new organisation of B's own, then logging out: neither involves A.
    assert await run(state, "create_organisation", {"name": "Beta Second Shop"}) == [
        "script:window.location.assign('/dashboard')"
    ]
    db.expire_all()
    created = db.get(Tenant, db.get(AuthSession, b.admin.session_id).tenant_id)
    assert created.name == "Beta Second Shop"
    (logged_out,) = await run(state, "logout")
    assert logged_out.startswith("script:fetch('/api/v1/auth/browser-session', {method: 'DELETE'")
    db.expire_all()
    assert db.get(AuthSession, b.admin.session_id).revoked_at is not None
    assert_unchanged(engine, a, world.before)


# --- integrations -------------------------------------------------------------------------------------------------


async def test_integrations_of_another_organisation_are_never_read_used_or_removed(world, engine):
    a, b = world.a, world.b
    state = state_of(IntegrationsState, b)
    assert await run(state, "load_integrations") == []
    assert not any(row["configured"] for row in state.providers)

    # Nothing typed: the test and the save complete the form from B's saved key, of which there is none.
    assert await run(state, "test", {"provider": "openai"}) == []
    assert state.results["openai"]["ok"] is False and "Enter the api key" in state.results["openai"]["message"]
    assert await run(state, "save", {"provider": "openai"}) == ["toast:error"]
    for provider in ("openai", "twilio"):
        assert await run(state, "remove", provider) == ["toast:success"]
    saved = await run(state, "save", {"provider": "openai", "api_key": "sk-beta-bakery-0001"})
    assert saved == ["script:document.getElementById('integration-form-openai')?.reset()", "toast:success"]
    assert {row["provider"] for row in state.providers if row["configured"]} == {"openai"}
    assert await run(state, "remove", "openai") == ["toast:success"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_calendar_of_another_organisation_is_never_shown_or_disconnected(world, engine, db):
    from sqlmodel import select as select_rows

    from ava_app.models import CalendarConnection
    from ava_app.services.credentials import encrypt_text
    from ava_app.state.calendars import CalendarState

    a, b = world.a, world.b
    db.add(
        CalendarConnection(
            tenant_id=a.tenant_id,
            provider="google",
            account_email="alpha-leakcheck@calendar.example",
            refresh_token_encrypted=encrypt_text("rt_alpha_leakcheck"),
        )
    )
    db.commit()
    state = state_of(CalendarState, b)
    assert await run(state, "load_calendars") == []
    assert [row["connected"] for row in state.calendars] == [False, False]
    assert "alpha-leakcheck" not in visible_text(state)
    for provider in ("google", "microsoft"):
        state.confirm_provider = provider
        assert await run(state, "disconnect") == ["toast:success"]
    rows = db.exec(select_rows(CalendarConnection)).all()
    assert [(row.tenant_id, row.account_email) for row in rows] == [(a.tenant_id, "alpha-leakcheck@calendar.example")]
    assert_nothing_of(a, state)


async def test_hubspot_of_another_organisation_is_never_shown_replaced_or_disconnected(world, engine, db):
    from sqlmodel import select as select_rows

    from ava_app.models import CrmConnection
    from ava_app.services.credentials import encrypt_text
    from ava_app.state.crm import CrmState

    a, b = world.a, world.b
    db.add(
        CrmConnection(
            tenant_id=a.tenant_id,
            provider="hubspot",
            auth_kind="token",
            account="alpha-leakcheck portal",
            access_token_encrypted=encrypt_text("pat-na1-alpha-leakcheck"),
        )
    )
    db.commit()
    state = state_of(CrmState, b)
    assert await run(state, "load_crm") == []
    assert state.hubspot["connected"] is False
    assert "alpha-leakcheck" not in visible_text(state)
    # A malformed token is refused before HubSpot is asked; nothing of A's is touched either way.
    assert await run(state, "save_token", {"token": "not a token"}) == []
    assert state.paste_error != ""
    assert await run(state, "disconnect") == ["toast:success"]
    rows = db.exec(select_rows(CrmConnection)).all()
    assert [(row.tenant_id, row.account) for row in rows] == [(a.tenant_id, "alpha-leakcheck portal")]
    assert_nothing_of(a, state)


async def test_replacing_the_webhook_secret_never_touches_another_organisations(world, engine, db):
    a, b = world.a, world.b
    # Both on their own Vapi accounts, so both have a webhook secret of their own.
    for organisation, key in ((a, "alpha-leakcheck-vapi-key"), (b, "beta-bakery-vapi-key")):
        integrations.save_integration(db, principal=organisation.principal, provider="vapi", secret={"api_key": key})
    a_secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=a.tenant_id).secret
    before = snapshot(engine, a)
    state = state_of(WebhookSecretState, b)

    assert await run(state, "load_webhook_secret") == []
    assert await run(state, "rotate_webhook_secret") == ["toast:success"]

    assert state.previous_until != ""
    assert a_secret not in visible_text(state)
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=a.tenant_id) == (a_secret, False)
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_business_region_events_read_and_change_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    a_tenant = db.get(Tenant, a.tenant_id)
    a_tenant.country, a_tenant.timezone, a_tenant.currency = "NZ", "Pacific/Chatham", "NZD"
    db.add(a_tenant)
    db.commit()
    before = snapshot(engine, a)
    state = state_of(BusinessRegionState, b)

    assert await run(state, "load_region") == []
    assert state.timezone != "Pacific/Chatham" and state.can_edit
    # Whatever the page sends, the change lands on the caller's organisation.
    await run(state, "set_country", "FR")
    await run(state, "set_timezone", "Europe/Paris")
    assert await run(state, "save_region") == ["toast:success"]
    db.expire_all()
    assert (db.get(Tenant, b.tenant_id).timezone, db.get(Tenant, b.tenant_id).currency) == ("Europe/Paris", "EUR")
    assert (state.country, state.timezone, state.currency) == ("FR", "Europe/Paris", "EUR")
    assert (state.country_label, state.currency_label) == ("France", "EUR · Euro")
    assert state.zone_label.startswith("Paris time (UTC+") and state.summary.startswith("France · Paris time")
    await run(state, "set_timezone_query", "atlantis")
    assert state.timezone_no_match and [o[0] for o in state.timezone_options] == ["Europe/Paris"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_the_staff_dialog_opens_and_saves_the_callers_own_staff_only(world, engine, db):
    from ava_app.services import bookings

    a, b = world.a, world.b
    a_service = bookings.add_service(db, tenant_id=a.tenant_id, name="Cut", duration_minutes=30)
    a_staff = bookings.add_staff(db, tenant_id=a.tenant_id, name="Alex", service_ids=[a_service.id])
    b_service = bookings.add_service(db, tenant_id=b.tenant_id, name="Colour", duration_minutes=60)
    b_staff = bookings.add_staff(db, tenant_id=b.tenant_id, name="Sam", service_ids=[b_service.id])
    db.commit()
    before = snapshot(engine, a)
    state = state_of(StaffEditorState, b)

    assert await run(state, "open_staff", a_staff.id) == ["toast:error"]
    assert not state.staff_open and state.staff_name == ""
    # B's dialog, pointed at A's staff member or A's service, changes nothing of A's.
    state.staff_id, state.staff_name = a_staff.id, "Taken over"
    assert await run(state, "save_staff") == []
    assert state.staff_error == "This staff member does not exist."
    assert await run(state, "open_staff", b_staff.id) == []
    assert state.staff_services == [{"id": str(b_service.id), "name": "Colour", "checked": True}]
    state.staff_services = [*state.staff_services, {"id": str(a_service.id), "name": "Cut", "checked": True}]
    assert await run(state, "save_staff") == []
    assert state.staff_open and state.staff_error
    await run(state, "toggle_staff_service", str(a_service.id), False)
    await run(state, "set_own_hours", True)
    events = await run(state, "save_staff")
    assert events[0] == "toast:success", (events, state.staff_error, state.hours_error)
    db.expire_all()
    (mine,) = [member for member in bookings.list_staff(db, tenant_id=b.tenant_id) if member.id == b_staff.id]
    assert mine.service_ids == (b_service.id,) and mine.working_hours
    (theirs,) = [member for member in bookings.list_staff(db, tenant_id=a.tenant_id) if member.id == a_staff.id]
    assert (theirs.name, theirs.service_ids, theirs.working_hours) == ("Alex", (a_service.id,), {})
    assert_unchanged(engine, a, before)


async def test_text_back_switches_read_and_change_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    a_tenant = db.get(Tenant, a.tenant_id)
    a_tenant.text_back_missed = True
    db.add(a_tenant)
    db.commit()
    before = snapshot(engine, a)
    state = state_of(TextBackState, b)
    assert await run(state, "load_text_back") == []
    assert (state.text_back_missed, state.text_back_after_hours, state.text_back_can_edit) == (False, False, True)
    assert await run(state, "set_text_back_after_hours", True) == ["toast:success"]
    db.expire_all()
    mine, theirs = db.get(Tenant, b.tenant_id), db.get(Tenant, a.tenant_id)
    assert (mine.text_back_missed, mine.text_back_after_hours) == (False, True)
    assert (theirs.text_back_missed, theirs.text_back_after_hours) == (True, False)
    assert_unchanged(engine, a, before)


async def test_block_list_events_read_and_change_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    call_blocking.block_caller(db, principal=a.principal, value=A_CALLER)
    before = snapshot(engine, a)
    state = state_of(BlockedCallersState, b)
    assert await run(state, "load_blocked") == []
    assert state.blocked_rows == [] and not state.block_withheld
    # Removing A's number from B's page changes nothing of A; adding and the switch land on B.
    assert await run(state, "remove_blocked", A_CALLER) == ["toast:success"]
    assert await run(state, "add_blocked", {"blocked": "+1900"}) == ["toast:success"]
    assert await run(state, "set_block_withheld", True) == ["toast:success"]
    assert [row["value"] for row in state.blocked_rows] == ["+1900"] and state.block_withheld
    assert await run(state, "add_blocked", {"blocked": "not a number"}) == []
    assert state.blocked_error
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).block_withheld and not db.get(Tenant, a.tenant_id).block_withheld
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_booking_setup_reads_and_changes_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    a_service = bookings.add_service(db, tenant_id=a.tenant_id, name="Alpha Leakcheck scaling", duration_minutes=30)
    b_service = bookings.add_service(db, tenant_id=b.tenant_id, name="Colour", duration_minutes=60)
    db.commit()
    before = snapshot(engine, a)
    state = state_of(BookingSetupState, b)
    assert await run(state, "load_booking_setup") == []
    assert "Colour" in [row["name"] for row in state.setup_services] and not state.booking_on
    assert await run(state, "set_booking_on", True) == ["toast:success"]
    # A's service id in B's page: nothing in B's list matches it, and the service refuses it too.
    state.setup_services = [
        *state.setup_services,
        {"id": str(a_service.id), "name": "x", "duration": "30", "price": ""},
    ]
    assert await run(state, "save_service_field", str(a_service.id), "price", "99") == []
    assert state.service_errors == {f"{a_service.id}:price:price": "This service is not offered."}
    assert await run(state, "remove_setup_service", str(a_service.id)) == ["toast:error"]
    assert await run(state, "save_service_field", str(b_service.id), "price", "45,50") == []
    (colour,) = [row for row in state.setup_services if row["id"] == str(b_service.id)]
    assert colour["price"] == "45.50"
    await run(state, "set_new_service_name", "Cut")
    await run(state, "set_new_service_price", "abc")
    assert await run(state, "add_setup_service") == []
    assert "new:price" in state.service_errors
    await run(state, "set_new_service_price", "30")
    assert await run(state, "add_setup_service") == []
    db.expire_all()
    mine = bookings.list_services(db, tenant_id=b.tenant_id)
    assert {(service.name, service.price_minor) for service in mine} >= {("Colour", 4550), ("Cut", 3000)}
    assert bookings.booking_enabled(db, tenant_id=b.tenant_id) and not bookings.booking_enabled(
        db, tenant_id=a.tenant_id
    )
    theirs = bookings.get_service(db, tenant_id=a.tenant_id, service_id=a_service.id)
    assert (theirs.price_minor, theirs.active) == (None, True)
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_deliveries_log_reads_and_retries_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    theirs = Outbox(
        tenant_id=a.tenant_id,
        channel="email",
        to="owner@alpha.example",
        subject="ALPHA-SUMMARY",
        body_text="ALPHA-SUMMARY",
        status="failed",
        purpose="summary",
        call_id=a.call_ids[0],
        last_error="Alpha Leakcheck mailbox full",
    )
    mine = Outbox(
        tenant_id=b.tenant_id,
        channel="email",
        to="owner@bravo.example",
        subject="Bravo summary",
        body_text="Bravo summary",
        status="failed",
        purpose="summary",
        call_id=b.call_ids[0],
    )
    db.add_all([theirs, mine])
    db.commit()
    before = snapshot(engine, a)
    state = state_of(DeliveriesState, b)
    # A's call id in B's address narrows B's log to nothing; it never shows A's message.
    open_page(state, f"/settings/deliveries?status=failed&call={a.call_ids[0]}", "/settings/deliveries")
    assert await run(state, "open_deliveries") == ["handler:DeliveriesState.load_deliveries"]
    assert await run(state, "load_deliveries") == []
    assert state.delivery_rows == [] and state.status_filter == "failed"
    assert await run(state, "clear_call_filter") == ["handler:DeliveriesState.load_deliveries"]
    await run(state, "load_deliveries")
    assert [row["ref"] for row in state.delivery_rows] == [f"outbox:{mine.id}"]
    await run(state, "set_channel_filter", "sms")
    await run(state, "load_deliveries")
    assert state.delivery_rows == []
    await run(state, "set_channel_filter", "all")
    await run(state, "load_deliveries")
    await run(state, "load_more_deliveries")
    # Retrying A's message from B's page is "does not exist"; B's own is queued again.
    assert await run(state, "retry_delivery", f"outbox:{theirs.id}") == ["toast:error"]
    assert await run(state, "retry_delivery", f"outbox:{mine.id}") == ["toast:success"]
    db.expire_all()
    # The jobs run at once in tests: B's email went out through the sandbox mailer.
    assert db.get(Outbox, theirs.id).status == "failed" and db.get(Outbox, mine.id).status == "sent"
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_billing_events_read_and_change_the_callers_organisation_only(world, engine, db, stripe_env):
    a, b = world.a, world.b
    emulator, _ = stripe_env
    a_tenant = db.get(Tenant, a.tenant_id)
    a_tenant.plan = "pro"
    db.add(a_tenant)
    db.add(BillingSubscription(tenant_id=a.tenant_id, stripe_customer_id="cus_alpha_7781", status="past_due"))
    db.commit()
    before = snapshot(engine, a)
    state = state_of(BillingState, b)
    assert await run(state, "load_billing") == []
    assert (state.plan_status, state.has_customer, state.grace_end) == ("trial", False, "")
    assert not any(row["current"] for row in state.plan_rows if row["code"] == "pro")
    # No billing account of B's own: the portal is refused, never A's.
    assert await run(state, "manage_billing") == ["toast:error"]
    (script,) = await run(state, "choose_plan", "starter")
    assert script.startswith("script:window.location.assign(") and "/pay/cs_test_" in script
    db.expire_all()
    mine = db.scalars(select(BillingSubscription).where(BillingSubscription.tenant_id == b.tenant_id)).one()
    assert mine.stripe_customer_id != "cus_alpha_7781"
    assert [customer["metadata"] for customer in emulator.customers.values()] == [{"ava_tenant_id": str(b.tenant_id)}]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_privacy_events_read_and_change_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    a_tenant = db.get(Tenant, a.tenant_id)
    a_tenant.redact_pii, a_tenant.redact_emails = True, True
    db.add(a_tenant)
    # A's exports: one ready, one failed (B retrying it must not queue it again).
    a_ready = data_exports.request_export(db, principal=a.principal, kind="organisation").id
    a_failed = DataExport(tenant_id=a.tenant_id, kind="organisation", status="failed", error="failed")
    db.add(a_failed)
    db.commit()
    before = snapshot(engine, a)
    state = state_of(PrivacyState, b)

    assert await run(state, "load_privacy") == []
    assert not state.redact_pii and not state.redact_emails
    await run(state, "set_redact_pii", True)
    await run(state, "set_redact_birth_dates", True)
    assert await run(state, "save_privacy") == ["toast:success"]
    db.expire_all()
    mine, theirs = db.get(Tenant, b.tenant_id), db.get(Tenant, a.tenant_id)
    assert (mine.redact_pii, mine.redact_birth_dates, mine.redact_emails) == (True, True, False)
    assert (theirs.redact_pii, theirs.redact_emails, theirs.redact_birth_dates) == (True, True, False)
    await run(state, "set_keep_recordings", "30")
    await run(state, "set_keep_payloads", "7")
    assert await run(state, "save_retention") == ["toast:success"]
    db.expire_all()
    assert (db.get(Tenant, b.tenant_id).retain_recordings_days, db.get(Tenant, b.tenant_id).retain_payloads_days) == (
        30,
        7,
    )
    assert db.get(Tenant, a.tenant_id).retain_recordings_days is None
    await run(state, "set_keep_recordings", "3")
    assert await run(state, "save_retention") == ["toast:error"]
    # A's callers, looked up, exported and erased from B: B's business only, where they never called.
    for number in {db.get(Call, call_id).caller_number for call_id in a.call_ids} - {None}:
        assert await run(state, "find_caller", {"caller": number}) == []
        assert state.caller_found["calls"] == "0" and state.caller_found["anything"] == ""
        assert await run(state, "export_caller") == ["toast:info"]
        assert state.exports[0]["status"] == "ready" and state.exports[0]["title"].startswith("Caller ")
        assert await run(state, "erase_caller") == []
        assert state.caller_erased.startswith("Erased for")
    assert await run(state, "find_caller", {"caller": "not a number"}) == []
    assert state.caller_error and state.caller_found == {}
    # The whole organisation's export: B's, built by the job, downloaded through B's link; A's ids are not found.
    assert await run(state, "export_organisation") == ["toast:info"]
    (own,) = [row for row in state.exports if row["status"] == "ready"]
    assert await run(state, "refresh_exports", "") == []
    assert await run(state, "download_export", own["id"]) == ["event:_download"]
    for export_id in (str(a_ready), str(a_failed.id), "not-an-id"):
        assert await run(state, "download_export", export_id) == ["toast:error"]
        assert await run(state, "retry_export", export_id) == ["toast:error"]
    assert {row["id"] for row in state.exports} == {own["id"]}
    # Deleting: A's name does not schedule anything; B's own name schedules B only, and B cancels it.
    assert await run(state, "request_org_deletion", {"typed_name": db.get(Tenant, a.tenant_id).name}) == []
    assert state.delete_error
    assert await run(state, "request_org_deletion", {"typed_name": db.get(Tenant, b.tenant_id).name}) == [
        "toast:warning"
    ]
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).deletion_due_at is not None and state.org_deletion_due
    assert db.get(Tenant, a.tenant_id).deletion_due_at is None
    assert await run(state, "cancel_org_deletion") == ["toast:success"]
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).deletion_due_at is None and state.org_deletion_due == ""
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_privacy_exports_list_forgets_an_erased_caller(world, engine, db):
    """B exports its caller and the organisation, then erases the caller: the list shows no trace of their number,
    and says the organisation's export was withdrawn."""
    a, b = world.a, world.b
    before = snapshot(engine, a)
    state = state_of(PrivacyState, b)
    assert await run(state, "load_privacy") == []
    assert await run(state, "find_caller", {"caller": "+17185550123"}) == []
    assert await run(state, "export_caller") == ["toast:info"]
    assert await run(state, "export_organisation") == ["toast:info"]
    assert any("555-0123" in row["title"] for row in state.exports)
    assert await run(state, "erase_caller") == []
    assert [row["status"] for row in state.exports] == ["expired"]
    assert "a caller was erased" in state.exports[0]["detail"]
    assert not any("0123" in value for row in state.exports for value in row.values())
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


# --- the assistant, the test call, onboarding --------------------------------------------------------------------


async def test_assistant_events_act_on_the_callers_assistant_only(world, engine, db):
    a, b = world.a, world.b
    form = state_of(AssistantFormState, b)
    assert await run(form, "load_form") == []
    assert form.a_name != "Alphonse" and form.form_loaded
    assert_nothing_of(a, form)

    state = state_of(AssistantState, b)
    assert await run(state, "load_assistant") == ["handler:TestCallState.reset_call"]
    assert {int(row["version"]) for row in state.versions} == {
        v.version for v in assistants.list_versions(db, principal=b.principal)
    }
    assert_nothing_of(a, state)

    # Restoring A's version numbers: B's assistant, never changed yet, has no version at all.
    assert state.versions == []
    for version in a.versions:
        await run(state, "ask_restore", str(version))
        assert await run(state, "restore_version") == ["toast:error"]

    # AssistantState is a substate of AssistantFormState: the form's fields and setters live on its parent.
    await run(state.parent_state, "set_a_name", "Bella")
    events = await run(state, "save_assistant")
    assert events and events[-1] in ("toast:success", "toast:warning"), events
    db.expire_all()
    assert assistants.get_assistant(db, principal=b.principal).name == "Bella"
    await run(state, "edit_faq", -1)
    await run(state, "set_faq_question", "Gluten free?")
    await run(state, "set_faq_answer", "Some of our breads.")
    assert await run(state, "save_faq") == ["handler:AssistantState.follow_sync"]
    await run(state, "move_faq", 0, 1)
    await run(state, "set_import_text", "Q: Open on Sunday?\nA: Until noon.")
    assert await run(state, "import_faq") == ["handler:AssistantState.follow_sync"]
    assert await run(state, "delete_faq", 0) == ["handler:AssistantState.follow_sync"]
    await run(state, "follow_sync")
    await run(state, "retry_sync")
    await run(state, "ask_preset", "restaurant")
    assert (await run(state, "apply_preset"))[0] == "toast:success"
    restored = state.version
    await run(state, "ask_restore", "1")
    assert (await run(state, "restore_version"))[0] == "toast:success"
    assert state.version == restored + 1

    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_business_knowledge_events_act_on_the_callers_assistant_only(world, engine, db):
    """The business profile, the website import and "Looks right" change B's assistant, never A's."""
    from tests.mail import closed_port

    a, b = world.a, world.b
    form = state_of(AssistantFormState, b)
    assert await run(form, "load_form") == []
    await run(form, "set_address", "1 Bakery Lane")
    await run(form, "add_service")
    await run(form, "set_service_field", 0, "name", "Sourdough")
    await run(form, "set_service_field", 0, "price", "4.5")
    assert form.services[0]["shown"] == "$4.50"
    await run(form, "set_site_url", f"http://127.0.0.1:{closed_port()}/")
    assert await run(form, "import_site") == []
    assert form.site_error and form.site_items == [] and not form.site_busy
    form.site_items = [
        {"kind": "faq", "value": "", "question": "Vegan bread?", "answer": "Every Friday.", "chosen": "1"},
        {"kind": "address", "value": "2 Elsewhere Road", "question": "", "answer": "", "chosen": ""},
    ]
    assert await run(form, "accept_site_items") == ["toast:success"]
    assert form.address == "1 Bakery Lane"  # the address was not ticked
    db.expire_all()
    entry = assistants.get_assistant(db, principal=b.principal).knowledge_base[-1]
    assert (entry.question, entry.review) == ("Vegan bread?", False)

    state = state_of(AssistantState, b)
    await run(state, "load_assistant")
    assert state.has_numbers
    # Hours AVA can read are proposed for B's numbers, and saved there only when B's owner takes them.
    state.site_items = [{"kind": "hours", "value": "Monday 08:00–12:00", "question": "", "answer": "", "chosen": "1"}]
    assert await run(state, "accept_site_items") == []
    assert state.site_hours_text.replace("\u00a0", " ").startswith("Mon 8:00 AM–12:00 PM")
    assert await run(state, "use_site_hours") == ["toast:success"]
    db.expire_all()
    b_numbers = [db.get(PhoneNumber, number_id) for number_id in b.number_ids]
    assert b_numbers and all(
        number.business_hours["mon"] == [{"open": "08:00", "close": "12:00"}] for number in b_numbers
    )
    # Hours it cannot read become an answer to review.
    state.site_items = [
        {"kind": "hours", "value": "Monday 08:00–12:00 by appointment", "question": "", "answer": "", "chosen": "1"}
    ]
    assert await run(state, "accept_site_items") == ["toast:success"]
    assert state.faq[-1]["question"] == "What are your opening hours?"  # the page's list shows it at once
    assert state.faq[-1]["review"] == "1"
    assert await run(state, "confirm_faq", len(state.faq) - 1) == ["handler:AssistantState.follow_sync"]
    assert await run(state, "confirm_faq", 10_000) == ["toast:error"]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


def test_assistant_services_refuse_another_organisations_assistant_id(world, engine, db):
    """The services take an optional ``assistant_id``; the states never pass one, but none may reach A's."""
    a, b = world.a, world.b
    attempts = [
        lambda: assistants.get_assistant(db, principal=b.principal, assistant_id=a.assistant_id),
        lambda: assistants.update_assistant(
            db, principal=b.principal, changes=AssistantUpdate(name="Taken"), assistant_id=a.assistant_id
        ),
        lambda: assistants.add_faq(db, principal=b.principal, question="q", answer="a", assistant_id=a.assistant_id),
        lambda: assistants.confirm_faq(db, principal=b.principal, index=0, assistant_id=a.assistant_id),
        lambda: assistants.restore_version(
            db, principal=b.principal, version=a.versions[0], assistant_id=a.assistant_id
        ),
        lambda: assistants.retry_sync(db, principal=b.principal, assistant_id=a.assistant_id),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    db.rollback()
    assert assistants.list_versions(db, principal=b.principal, assistant_id=a.assistant_id) == []
    assert_unchanged(engine, a, world.before)


async def test_test_call_lands_in_the_callers_organisation(world, engine, db):
    a, b = world.a, world.b
    state = state_of(test_call_state.TestCallState, b)
    assert await run(state, "reset_call") == []
    assert await run(state, "start_call") == []
    assert state._context["tenant_id"] == b.tenant_id and state._context["id"] == b.assistant_id
    assert state.reply_source == "local"  # B has no OpenAI key; A's is never used for B
    await run(state, "send", {"message": "Do you have croissants?"})
    assert [turn["role"] for turn in state.turns][-2:] == ["user", "assistant"]
    assert await run(state, "end_call") == ["toast:success"]
    db.expire_all()
    saved = db.exec(select(Call).where(Call.call_type == "test")).scalars().all()
    assert [(call.tenant_id, call.assistant_id) for call in saved] == [(b.tenant_id, b.assistant_id)]
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_onboarding_events_act_on_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    state = state_of(OnboardingState, b)
    assert await run(state, "load_wizard") == ["handler:TestCallState.reset_call"]
    await run(state, "go_to", 2)
    events = await run(state, "choose_industry", "restaurant")
    assert events[-1] == "toast:success", events
    await run(state, "back")
    await run(state, "next_step")
    await run(state, "go_to", 4)
    form = await state.get_state(AssistantFormState)
    await run(form, "load_form")
    assert await run(state, "save_personalise") == [] and state.step == 5
    assert await run(state, "next_step") == ["handler:ReachState.load_reach"] and state.step == 6
    assert await run(state, "refresh_numbers") == [] and state.numbers == ["(212) 555-0163"]
    events = await run(state, "go_live")
    assert events[:1] == ["redirect:/dashboard"], events
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).onboarding_completed_at is not None
    assert db.get(Tenant, a.tenant_id).industry == "clinic"
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, world.before)


async def test_how_calls_reach_ava_shows_and_changes_the_callers_number_only(world, engine, db, monkeypatch):
    a, b = world.a, world.b
    monkeypatch.setattr("ava_app.state.reach.CONFIRM_WAIT_SECONDS", 1)
    state = state_of(ReachState, b)
    assert await run(state, "load_reach") == []
    assert state.has_number and state.number_display == "(212) 555-0163" and state.carrier_key == "verizon"
    state.line_input = A_DESK_NUMBER  # A's line typed by B: it becomes B's forwarded line, nothing of A changes
    assert await run(state, "save_line") == ["toast:success"]
    assert state.line_display == "(312) 555-0142" and not state.confirmed and state.codes
    assert await run(state, "check_again") == [] and state.not_seen
    monkeypatch.setattr("ava_app.state.reach.CHECK_FOLLOW_SECONDS", 2)
    assert await run(state, "start_check") == []  # B's check opens on B's number, never on A's
    assert state.check_until and "until" in state.check_note and not state.confirmed
    # B's number is not on the emulator: both sandbox calls are refused, none reaches A's number.
    assert await run(state, "place_call") == ["toast:error"]
    assert await run(state, "simulate_forwarded_call") == ["toast:error"]
    db.expire_all()
    assert db.get(PhoneNumber, b.number_ids[0]).forwarded_from == A_DESK_NUMBER
    assert db.get(PhoneNumber, b.number_ids[0]).forwarding_check_until is not None
    assert_unchanged(engine, a, world.before)


async def test_logout_resets_every_per_user_state_of_the_tab(world):
    """Reflex keeps a tab's state across page loads: after a logout the next account must find none of it."""
    flow = state_of(NumberFlowState, world.b)
    flow.country, flow.area_code, flow.results = "FR", "1", [{"key": "+33199001234"}]
    reach_state = await flow.get_state(ReachState)
    reach_state.line_input, reach_state.has_number = "06 12 34 56 78", True
    auth = await flow.get_state(AuthState)
    auth.sandbox = True
    (event,) = await run(auth, "logout")
    assert event.startswith("script:fetch('/api/v1/auth/browser-session', {method: 'DELETE'")
    assert (flow.country, flow.area_code, flow.results) == ("US", "", [])
    assert (reach_state.line_input, reach_state.has_number) == ("", False)
    assert auth.user_email == "" and auth.sandbox, "the deployment's modes stay"


async def test_dead_letters_are_refused_to_an_organisations_admin(world, engine, db):
    from ava_app.models import WebhookEvent
    from ava_app.state.dead_letters import DeadLettersState

    a, b = world.a, world.b
    failed = WebhookEvent(
        tenant_id=a.tenant_id,
        provider="vapi",
        event_type="end-of-call-report",
        dedupe_key="vapi:alpha-dead-letter",
        payload='{"message": {"type": "end-of-call-report"}}',
        error="ALPHA-DEAD-LETTER-ERROR",
        attempts=9,
    )
    db.add(failed)
    db.commit()
    before = snapshot(engine, a)
    state = state_of(DeadLettersState, b)
    assert await run(state, "load_dead_letters") == []
    assert state.refused and state.letters == [] and "ALPHA-DEAD-LETTER-ERROR" not in visible_text(state)
    state.has_more, state._next_before_id = True, failed.id + 1
    assert await run(state, "load_more") == [] and state.letters == []
    assert await run(state, "retry", failed.id) == ["toast:error"]
    db.expire_all()
    assert db.get(WebhookEvent, failed.id).attempts == 9
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)
    for junk in ("1; drop", 2**64, -1, None, True):
        assert await run(state, "retry", junk) == []


async def test_usage_reads_the_callers_organisation_and_margins_are_refused_to_its_admin(world, engine, db):
    from ava_app.services.billing import usage
    from ava_app.state.usage import AdminUsageState, UsageState
    from tests.factories import make_call

    a, b = world.a, world.b
    make_call(db, tenant=db.get(Tenant, a.tenant_id), minutes_ago=0, duration=1200, action_needed=True)
    assert usage.tenant_usage(db, tenant_id=a.tenant_id).minutes_used == 20, "A has billed minutes to leak"
    before = snapshot(engine, a)
    state = state_of(UsageState, b)
    assert await run(state, "load_usage") == []
    mine = usage.tenant_usage(db, tenant_id=b.tenant_id)
    assert state.usage["calls_text"] == f"{mine.billed_calls} billed calls"
    assert state.usage["minutes_text"].startswith(f"{mine.minutes_used} of ")
    admin_state = state_of(AdminUsageState, b)
    assert await run(admin_state, "load_margins") == []
    assert admin_state.margins_refused and admin_state.margins == []
    # The operators' acts are refused to an organisation's admin, on A as on B itself.
    for target in (a.tenant_id, b.tenant_id):
        admin_state.suspend_id, admin_state.suspend_reason = target, "Alpha takeover"
        assert await run(admin_state, "confirm_suspend") == ["toast:error"]
        assert await run(admin_state, "resume", target) == ["toast:error"]
        assert await run(admin_state, "change_plan", target, "business") == ["toast:error"]
    for junk in ("1; drop", 2**64, -1, None, True):
        assert await run(admin_state, "resume", junk) == []
        assert await run(admin_state, "change_plan", junk, "business") == []
    # Support's read-only view of A is refused to B's admin, and says nothing of A.
    from ava_app.state.support import SupportState

    support_state = state_of(SupportState, b)
    open_page(
        support_state, f"/admin/organisations/{a.tenant_id}", "/admin/organisations/[id]", {"id": str(a.tenant_id)}
    )
    assert await run(support_state, "load_support") == []
    assert support_state.support_refused and support_state.org == {} and support_state.recent_calls == []
    assert_nothing_of(a, support_state)
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).suspended_at is None and db.get(Tenant, b.tenant_id).plan != "business"
    assert_nothing_of(a, state)
    assert_nothing_of(a, admin_state)
    assert_unchanged(engine, a, before)


# --- bookings -------------------------------------------------------------------------------------------------------


async def test_bookings_of_another_organisation_are_never_read_moved_or_cancelled(world, engine, db):
    a, b = world.a, world.b
    bookings.save_booking_rules(
        db,
        tenant_id=a.tenant_id,
        enabled=True,
        min_notice_minutes=0,
        horizon_days=60,
        granularity_minutes=30,
        max_per_day=None,
    )
    service = bookings.add_service(db, tenant_id=a.tenant_id, name="Alpha Leakcheck Whitening", duration_minutes=30)
    staff = bookings.add_staff(db, tenant_id=a.tenant_id, name="Alpha Hygienist", service_ids=[service.id])
    slot = bookings.find_slots(db, tenant_id=a.tenant_id, service_id=service.id, now=utcnow(), limit=2)
    booking = bookings.create_booking(
        db, tenant_id=a.tenant_id, service_id=service.id, start_at=slot[0].start_at, caller_name="Alpha Patient"
    )
    db.commit()
    before = snapshot(engine, a)

    state = state_of(BookingsState, b)
    assert await run(state, "load_bookings") == []
    for name, *args in [("show_week", 1), ("show_week", 0), ("set_view", "list"), ("set_filter_staff", str(staff.id))]:
        assert await run(state, name, *args) == [], name
        assert state.rows == [] and state.service_options == [] and state.staff_options == []
    await run(state, "set_filter_service", str(service.id))
    assert state.rows == []
    assert_nothing_of(a, state)

    # A's ids forged into B's tab: the slots, the move, the booking and the cancel are all refused.
    state.rows = [{"id": booking.id, "service_id": service.id, "day": "", "time": "", "service": "", "caller": ""}]
    state.service_options = [{"id": str(service.id), "name": "forged"}]
    await run(state, "open_create")
    assert state.slots == [] and state.form_error
    for name, *args in [("set_form_service", str(service.id)), ("set_form_staff", str(staff.id))]:
        state.form_error = ""
        await run(state, name, *args)
        assert state.slots == [] and state.form_error, name
    state.form_error, state.form_day = "", ""  # a day the form already shows is not read again
    await run(state, "set_form_day", slot[1].start_at.date().isoformat())
    assert state.slots == [] and state.form_error
    state.form_slot = slot[1].start_at.isoformat()
    state.form_error = ""
    await run(state, "save_booking", {"caller_name": "Beta intruder"})
    assert state.form_error and state.form_open
    # A's booking forged into B's rows: the edit opens on it, but its slots and its save are refused.
    state.rows = [
        {
            "id": booking.id, "service_id": service.id, "staff_id": staff.id, "live": True, "start": "",
            "local_day": slot[1].start_at.date().isoformat(), "when": "", "caller_name": "", "caller_phone": "",
            "caller_email": "", "notes": "", "day": "", "time": "", "service": "", "caller": "",
        }
    ]  # fmt: skip
    state.form_error = ""
    await run(state, "open_edit", booking.id)
    assert state.form_mode == "edit" and state.slots == [] and state.form_error
    state.form_slot, state.form_error = slot[1].start_at.isoformat(), ""
    await run(state, "save_booking", {"caller_name": "Beta takeover", "caller_phone": "+33612345678"})
    assert state.form_error and state.form_open
    # A link to A's booking opens nothing of A's.
    open_page(state, f"/bookings?booking={booking.id}", "/bookings")
    assert await run(state, "load_bookings") == ["toast:error"]
    assert state.focus == {}
    await run(state, "ask_cancel", booking.id)
    assert await run(state, "confirm_cancel") == ["toast:error"]

    # Settings: B reads and changes its own rules, services and staff only; A's service cannot be withdrawn.
    await run(state, "toggle_settings")
    assert state.settings_open and state.services == [] and state.rules_form["enabled"] == ""
    assert await run(state, "deactivate_service", service.id) == ["toast:error"]
    rules = {"min_notice_minutes": "0", "horizon_days": "10", "granularity_minutes": "15", "max_per_day": ""}
    assert await run(state, "save_rules", {"enabled": "on", **rules}) == ["toast:success"]
    assert await run(state, "add_service", {"name": "Beta cut", "duration": "20"}) == ["toast:success"]
    assert await run(state, "add_staff", {"name": "Beta barber"}) == ["toast:success"]
    assert [row["name"] for row in state.services] == ["Beta cut"]
    assert [row["name"] for row in state.staff_options] == ["Beta barber"]
    assert bookings.booking_enabled(db, tenant_id=b.tenant_id)
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)


async def test_webhook_events_reach_the_callers_organisation_only(world, engine, db, monkeypatch):
    """B lists, edits, rotates, tests, deletes and resends by A's ids: nothing of A's is shown or changed; B's own
    endpoint works."""
    a, b = world.a, world.b
    monkeypatch.setattr(webhooks_out, "transport_override", lambda: httpx.MockTransport(lambda _r: httpx.Response(200)))
    a_admin = Principal(user_id=a.admin.user_id, tenant_id=a.tenant_id, role="admin")
    theirs = webhooks_out.create_endpoint(
        db, principal=a_admin, url="https://a-only.example.com/hook", event_types=["call.ended"]
    )
    a_delivery = webhooks_out.send_test_event(db, principal=a_admin, endpoint_id=theirs.endpoint.id)
    before = snapshot(engine, a)
    state = state_of(WebhooksState, b)
    their_id, their_delivery = str(theirs.endpoint.id), str(a_delivery.id)

    assert await run(state, "load_webhooks") == []
    assert state.endpoints == []
    assert await run(state, "show_log", their_id) == ["toast:error"]
    assert state.deliveries == [] and state.log_endpoint_id == ""
    for name, args in (
        ("rotate_secret", (their_id,)),
        ("set_endpoint_enabled", (their_id, False)),
        ("send_test", (their_id,)),
        ("resend", (their_delivery,)),
    ):
        assert await run(state, name, *args) == ["toast:error"], name
        assert state.shown_secret == ""
    await run(state, "ask_delete", their_id)
    assert await run(state, "delete_endpoint") == ["toast:error"]
    assert_unchanged(engine, a, before)

    # B's own endpoint, end to end through the same handlers.
    await run(state, "open_add")
    await run(state, "set_new_url", "https://b.example.com/hook")
    await run(state, "toggle_event", "call.ended", True)
    assert await run(state, "add_endpoint") == ["handler:WebhooksState.load_webhooks"]
    assert state.shown_secret.startswith("whsec_")
    await run(state, "load_webhooks")
    [mine] = state.endpoints
    assert mine["url"] == "https://b.example.com/hook"
    assert await run(state, "send_test", mine["id"]) == ["toast:success"]
    [delivery] = state.deliveries
    assert delivery["event"] == "test.ping" and delivery["code"] == "200"
    assert await run(state, "resend", delivery["id"]) == ["toast:success"]
    assert await run(state, "rotate_secret", mine["id"]) == ["handler:WebhooksState.load_webhooks"]
    assert await run(state, "set_endpoint_enabled", mine["id"], False) == ["handler:WebhooksState.load_webhooks"]
    await run(state, "ask_delete", mine["id"])
    assert await run(state, "delete_endpoint") == ["handler:WebhooksState.load_webhooks", "toast:success"]
    assert_nothing_of(a, state)
    assert "a-only.example.com" not in visible_text(state)
    assert_unchanged(engine, a, before)


async def test_api_key_events_reach_the_callers_organisation_only(world, engine, db):
    """B's admin lists and revokes by A's key id: nothing of A's is shown or changed; B's own key is created (shown
    once) and revoked. B's viewer can neither list nor create keys."""
    a, b = world.a, world.b
    state = state_of(ApiKeysState, b)
    assert await run(state, "open_api_keys") == ["handler:ApiKeysState.load_api_keys"]
    assert await run(state, "load_api_keys") == []
    assert state.keys == [] and state.keys_loaded and not state.keys_admin_only
    await run(state, "ask_revoke", str(a.api_key_ids[0]), "Alpha CRM")
    assert await run(state, "revoke_key") == ["toast:error"]
    assert_unchanged(engine, a, world.before)

    await run(state, "open_create")
    await run(state, "set_new_name", "Beta till")
    await run(state, "toggle_scope", "calls:write", True)
    await run(state, "set_new_expiry", "30")
    assert await run(state, "create_key") == ["handler:ApiKeysState.load_api_keys"]
    assert state.shown_key.startswith("ava_") and not state.create_open
    await run(state, "load_api_keys")
    [mine] = state.keys
    assert (mine["name"], mine["scopes"], mine["created_by"]) == ("Beta till", "calls:read, calls:write", "Beta Owner")
    assert mine["expires"] != "Never" and mine["revocable"] == "yes"
    mine_row = db.get(ApiKey, int(mine["id"]))
    assert mine_row.tenant_id == b.tenant_id and mine_row.expires_at is not None
    await run(state, "ask_revoke", mine["id"], mine["name"])
    assert await run(state, "revoke_key") == ["handler:ApiKeysState.load_api_keys", "toast:success"]
    await run(state, "load_api_keys")
    assert [row["revocable"] for row in state.keys] == [""]
    await run(state, "open_api_keys")
    assert state.shown_key == ""
    assert_nothing_of(a, state)
    assert "Alpha CRM" not in visible_text(state)
    assert_unchanged(engine, a, world.before)

    viewer = make_user(db, tenant=db.get(Tenant, b.tenant_id), role="viewer")
    viewer_login = accounts.start_session(db, user=viewer, ip="", user_agent="test", tenant_id=b.tenant_id)
    viewer_state = state_of(ApiKeysState, dataclasses.replace(b, admin=viewer_login))
    assert await run(viewer_state, "load_api_keys") == []
    assert viewer_state.keys_admin_only and viewer_state.keys == []
    keys_before = len(db.exec(select(ApiKey)).all())
    await run(viewer_state, "set_new_name", "Viewer key")
    assert await run(viewer_state, "create_key") == ["toast:error"]
    assert viewer_state.shown_key == ""
    assert len(db.exec(select(ApiKey)).all()) == keys_before


async def test_recently_deleted_reads_restores_and_keeps_the_callers_organisation_only(world, engine, db):
    a, b = world.a, world.b
    # One of A's calls in A's trash (its conversation, with A's markers, in the snapshot), and one of B's in B's.
    trash.move_to_trash(db, principal=a.principal, call_ids=[a.call_ids[0]])
    trash.move_to_trash(db, principal=b.principal, call_ids=[b.call_ids[0]])
    before = snapshot(engine, a)
    state = state_of(DeletedCallsState, b)
    assert await run(state, "load_deleted") == []
    assert [row["id"] for row in state.trash_rows] == [b.call_ids[0]] and state.grace_days == "7"
    # A's deleted call id from B's page is not found; B's own comes back.
    assert await run(state, "restore_call", a.call_ids[0]) == ["toast:error"]
    assert await run(state, "restore_call", b.call_ids[0]) == ["toast:success"]
    assert state.trash_rows == [] and db.get(Call, b.call_ids[0]) is not None
    # B's admin chooses B's grace period only.
    assert await run(state, "set_grace_days", "30") == ["toast:success"]
    assert state.grace_days == "30"
    db.expire_all()
    assert db.get(Tenant, b.tenant_id).deleted_calls_grace_days == 30
    assert db.get(Tenant, a.tenant_id).deleted_calls_grace_days == 7
    assert_nothing_of(a, state)
    assert_unchanged(engine, a, before)
