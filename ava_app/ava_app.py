"""Builds the AVA app: the API, the pages, the embedded job worker and the live-update listener. Nothing else happens
at import time."""

from __future__ import annotations

import contextlib

import reflex as rx

from ava_app import routes
from ava_app.api.app import create_api
from ava_app.api.security_headers import with_security_headers
from ava_app.observability.reflex_events import instrument_reflex
from ava_app.pages.account_links import forgot_password_page, reset_password_page, verify_email_page, verify_page
from ava_app.pages.admin_dead_letters import dead_letters_page
from ava_app.pages.admin_organisation import admin_organisation_page
from ava_app.pages.assistant import assistant_page
from ava_app.pages.bookings import bookings_page
from ava_app.pages.call_detail import call_detail_page
from ava_app.pages.calls import calls_page
from ava_app.pages.dashboard import dashboard_page
from ava_app.pages.deleted_calls import deleted_calls_page
from ava_app.pages.integrations import integrations_page
from ava_app.pages.invite import invite_page
from ava_app.pages.landing import landing_page
from ava_app.pages.login import login_page
from ava_app.pages.onboarding import onboarding_page
from ava_app.pages.outbox import outbox_page
from ava_app.pages.phone_numbers import phone_numbers_page
from ava_app.pages.settings import settings_page
from ava_app.pages.settings_api_keys import api_keys_page
from ava_app.pages.settings_audit import audit_page
from ava_app.pages.settings_billing import billing_page
from ava_app.pages.settings_blocked_callers import blocked_callers_page
from ava_app.pages.settings_business import business_page
from ava_app.pages.settings_deliveries import deliveries_page
from ava_app.pages.settings_notifications import notifications_page
from ava_app.pages.settings_privacy import privacy_page
from ava_app.pages.settings_profile import profile_page
from ava_app.pages.settings_security import security_page
from ava_app.pages.settings_team import team_page
from ava_app.pages.settings_webhooks import webhooks_page
from ava_app.pages.signup import signup_page
from ava_app.pages.usage import admin_usage_page, usage_page
from ava_app.settings import get_settings
from ava_app.state.account import LinkState, LoginState, PasswordState, PhoneState, SignupState
from ava_app.state.api_keys import ApiKeysState
from ava_app.state.assistant import AssistantFormState, AssistantState
from ava_app.state.auth import AuthState
from ava_app.state.billing import BillingState
from ava_app.state.blocked_callers import BlockedCallersState
from ava_app.state.bookings import BookingsState
from ava_app.state.business import BusinessRegionState
from ava_app.state.call_detail import CallDetailState
from ava_app.state.calls import CallsState
from ava_app.state.dashboard import DashboardState
from ava_app.state.dead_letters import DeadLettersState
from ava_app.state.deliveries import DeliveriesState
from ava_app.state.i18n import I18nState
from ava_app.state.integrations import IntegrationsState
from ava_app.state.live import push_calls_changes
from ava_app.state.notifications import NotificationsState
from ava_app.state.onboarding import OnboardingState
from ava_app.state.outbox import OutboxState
from ava_app.state.phone_numbers import NumberFlowState, PhoneNumbersState
from ava_app.state.privacy import PrivacyState
from ava_app.state.reach import ReachState
from ava_app.state.redis_locks import use_cancel_safe_redis_locks
from ava_app.state.settings import AuditState, ProfileState, SecurityState
from ava_app.state.sign_in_providers import LinkedAccountsState, ProviderSignInState
from ava_app.state.support import SupportState
from ava_app.state.tab_handover import hand_over_tabs_of_dead_processes
from ava_app.state.team import InviteState, TeamState
from ava_app.state.text_back import TextBackState
from ava_app.state.trash import DeletedCallsState
from ava_app.state.usage import AdminUsageState, UsageState
from ava_app.state.webhooks import WebhooksState
from ava_app.task_queue import start_embedded_worker, stop_embedded_worker


@contextlib.asynccontextmanager
async def job_worker():
    """Run the job queue's consumer inside this process for the app's lifetime (single-process mode)."""
    embedded = get_settings().embedded_worker
    if embedded:
        start_embedded_worker()
    try:
        yield
    finally:
        if embedded:
            stop_embedded_worker()


app = rx.App(
    api_transformer=[create_api(), with_security_headers],
    head_components=[rx.el.meta(name="description", content="AVA, the AI receptionist for small businesses.")],
    # At the top: at the bottom of a phone, toasts covered the pages' primary buttons ("Save and continue").
    toaster=rx.toast.provider(position="top-center", close_button=True),
)
# With Redis, a cancelled event (a page load overtaken by the next) gives its tab's state lock back at once.
use_cancel_safe_redis_locks(app)
app.register_lifespan_task(job_worker)
# With Redis, a tab whose web process was killed keeps its page state on the process it reconnects to.
app.register_lifespan_task(hand_over_tabs_of_dead_processes)
instrument_reflex(app)
# Open dashboards and calls lists are refreshed when their organisation's calls change (state/live.py).
app.register_lifespan_task(push_calls_changes, pages={"dashboard": DashboardState, "calls": CallsState})

# The guards adopt the browser's language on a first visit themselves: one event fewer for every navigation.
PUBLIC = [AuthState.redirect_if_logged_in]
SIGNED_IN = [AuthState.require_login]

app.add_page(landing_page, route=routes.INDEX, title="AVA · The AI receptionist for small businesses", on_load=PUBLIC)
app.add_page(
    login_page,
    route=routes.LOGIN,
    title="AVA · Log in",
    on_load=[*PUBLIC, LoginState.reset_form, ProviderSignInState.load_login],
)
app.add_page(
    signup_page,
    route=routes.SIGNUP,
    title="AVA · Sign up",
    on_load=[*PUBLIC, SignupState.reset_form, ProviderSignInState.load_signup],
)
app.add_page(
    forgot_password_page,
    route=routes.FORGOT_PASSWORD,
    title="AVA · Forgot password",
    on_load=[I18nState.detect_language, PasswordState.reset_form],
)
app.add_page(
    reset_password_page,
    route=routes.RESET_PASSWORD,
    title="AVA · New password",
    on_load=[I18nState.detect_language, PasswordState.reset_form],
)
app.add_page(
    verify_page, route=routes.VERIFY, title="AVA · Log in", on_load=[I18nState.detect_language, LinkState.check_link]
)
app.add_page(
    verify_email_page,
    route=routes.VERIFY_EMAIL,
    title="AVA · Verify email",
    on_load=[I18nState.detect_language, LinkState.verify_email],
)
app.add_page(
    invite_page,
    route=routes.INVITE,
    title="AVA · Invitation",
    on_load=[I18nState.detect_language, InviteState.load_invite],
)
app.add_page(
    dashboard_page, route=routes.DASHBOARD, title="AVA · Dashboard", on_load=[*SIGNED_IN, DashboardState.load_dashboard]
)
app.add_page(
    bookings_page, route=routes.BOOKINGS, title="AVA · Bookings", on_load=[*SIGNED_IN, BookingsState.load_bookings]
)
app.add_page(usage_page, route=routes.USAGE, title="AVA · Usage", on_load=[*SIGNED_IN, UsageState.load_usage])
app.add_page(
    admin_usage_page,
    route=routes.ADMIN_USAGE,
    title="AVA · Plans and margins",
    on_load=[*SIGNED_IN, AdminUsageState.load_margins],
)
app.add_page(
    admin_organisation_page,
    route=routes.ADMIN_ORGANISATION,
    title="AVA · Organisation",
    on_load=[*SIGNED_IN, SupportState.load_support],
)
app.add_page(calls_page, route=routes.CALLS, title="AVA · Calls", on_load=[*SIGNED_IN, CallsState.load_calls])
app.add_page(
    deleted_calls_page,
    route=routes.DELETED_CALLS,
    title="AVA · Recently deleted",
    on_load=[*SIGNED_IN, DeletedCallsState.load_deleted],
)
app.add_page(
    call_detail_page, route=routes.CALL_DETAIL, title="AVA · Call", on_load=[*SIGNED_IN, CallDetailState.load_call]
)
app.add_page(settings_page, route=routes.SETTINGS, title="AVA · Settings", on_load=SIGNED_IN)
app.add_page(
    profile_page,
    route=routes.SETTINGS_PROFILE,
    title="AVA · Profile",
    on_load=[*SIGNED_IN, ProfileState.load_profile, PhoneState.load_phone],
)
app.add_page(
    security_page,
    route=routes.SETTINGS_SECURITY,
    title="AVA · Security",
    on_load=[*SIGNED_IN, SecurityState.load_sessions, LinkedAccountsState.load_linked],
)
app.add_page(
    business_page,
    route=routes.SETTINGS_BUSINESS,
    title="AVA · Business",
    on_load=[*SIGNED_IN, BusinessRegionState.load_region, TextBackState.load_text_back],
)
app.add_page(team_page, route=routes.SETTINGS_TEAM, title="AVA · Team", on_load=[*SIGNED_IN, TeamState.load_team])
app.add_page(
    notifications_page,
    route=routes.SETTINGS_NOTIFICATIONS,
    title="AVA · Notifications",
    on_load=[*SIGNED_IN, NotificationsState.load_notifications],
)
app.add_page(
    privacy_page,
    route=routes.SETTINGS_PRIVACY,
    title="AVA · Privacy",
    on_load=[*SIGNED_IN, PrivacyState.load_privacy],
)
app.add_page(
    webhooks_page,
    route=routes.SETTINGS_WEBHOOKS,
    title="AVA · Webhooks",
    on_load=[*SIGNED_IN, WebhooksState.open_webhooks],
)
app.add_page(
    api_keys_page,
    route=routes.SETTINGS_API_KEYS,
    title="AVA · API keys",
    on_load=[*SIGNED_IN, ApiKeysState.open_api_keys],
)
app.add_page(
    blocked_callers_page,
    route=routes.SETTINGS_BLOCKED_CALLERS,
    title="AVA · Blocked callers",
    on_load=[*SIGNED_IN, BlockedCallersState.load_blocked],
)
app.add_page(
    deliveries_page,
    route=routes.SETTINGS_DELIVERIES,
    title="AVA · Deliveries",
    on_load=[*SIGNED_IN, DeliveriesState.open_deliveries],
)
app.add_page(
    billing_page,
    route=routes.SETTINGS_BILLING,
    title="AVA · Billing",
    on_load=[*SIGNED_IN, BillingState.load_billing],
)
app.add_page(
    audit_page, route=routes.SETTINGS_AUDIT, title="AVA · Audit log", on_load=[*SIGNED_IN, AuditState.load_audit]
)
app.add_page(
    integrations_page,
    route=routes.SETTINGS_INTEGRATIONS,
    title="AVA · Integrations",
    on_load=[*SIGNED_IN, IntegrationsState.load_integrations],
)
app.add_page(
    outbox_page,
    route=routes.DEV_OUTBOX,
    title="AVA · Dev outbox",
    on_load=[I18nState.detect_language, OutboxState.load_messages],
)
app.add_page(
    onboarding_page,
    route=routes.ONBOARDING,
    title="AVA · Setup",
    on_load=[*SIGNED_IN, OnboardingState.load_wizard, AssistantFormState.load_form, NumberFlowState.reset_flow],
)
app.add_page(
    assistant_page, route=routes.ASSISTANT, title="AVA · Assistant", on_load=[*SIGNED_IN, AssistantState.load_assistant]
)
app.add_page(
    phone_numbers_page,
    route=routes.PHONE_NUMBERS,
    title="AVA · Phone numbers",
    on_load=[*SIGNED_IN, PhoneNumbersState.load_numbers, NumberFlowState.reset_flow, ReachState.load_reach],
)
app.add_page(
    dead_letters_page,
    route=routes.ADMIN_DEAD_LETTERS,
    title="AVA · Dead letters",
    on_load=[*SIGNED_IN, DeadLettersState.load_dead_letters],
)
