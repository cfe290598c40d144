"""Every path AVA serves or hands out: its pages, its API, the webhooks given to providers, and link builders.

The bottom layer: it imports nothing from ``ava_app``, so pages, state, services and the API all name a path from
here and a path changes in one place. Router modules keep their own local route strings; the prefixes, and every
path that is used in more than one place or handed to a browser, an email or a provider, live here.
"""

from __future__ import annotations

from urllib.parse import urlencode

# Pages (Reflex routes).
INDEX = "/"
LOGIN = "/login"
SIGNUP = "/signup"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
VERIFY = "/verify"
VERIFY_EMAIL = "/verify-email"
INVITE = "/invite"
DASHBOARD = "/dashboard"
ONBOARDING = "/onboarding"
CALLS = "/calls"
CALL_DETAIL = "/calls/[id]"
DELETED_CALLS = "/deleted-calls"
BOOKINGS = "/bookings"
USAGE = "/usage"
ASSISTANT = "/assistant"
PHONE_NUMBERS = "/phone-numbers"
SETTINGS = "/settings"
SETTINGS_PROFILE = "/settings/profile"
SETTINGS_BUSINESS = "/settings/business"
SETTINGS_SECURITY = "/settings/security"
SETTINGS_TEAM = "/settings/team"
SETTINGS_AUDIT = "/settings/audit"
SETTINGS_INTEGRATIONS = "/settings/integrations"
SETTINGS_PRIVACY = "/settings/privacy"
SETTINGS_WEBHOOKS = "/settings/webhooks"
SETTINGS_API_KEYS = "/settings/api-keys"
SETTINGS_BLOCKED_CALLERS = "/settings/blocked-callers"
SETTINGS_NOTIFICATIONS = "/settings/notifications"
SETTINGS_DELIVERIES = "/settings/deliveries"
SETTINGS_BILLING = "/settings/billing"
DEV_OUTBOX = "/dev/outbox"
ADMIN_DEAD_LETTERS = "/admin/dead-letters"
ADMIN_USAGE = "/admin/usage"
ADMIN_ORGANISATION = "/admin/organisations/[id]"

# The API.
HEALTHZ = "/healthz"
READYZ = "/readyz"
METRICS = "/metrics"
API_DOCS = "/api/docs"
API_OPENAPI = "/api/openapi.json"
API_V1 = "/api/v1"

# Routes under API_V1 that AVA hands out: to the browser (downloads, login cookie) and to providers (webhooks).
DOWNLOADS = "/downloads"
BROWSER_SESSION = "/auth/browser-session"
VAPI_WEBHOOK = "/webhooks/vapi"
TWILIO_VOICE_WEBHOOK = "/webhooks/twilio/voice"
TWILIO_STATUS_WEBHOOK = "/webhooks/twilio/status"
# Calendar connections: the browser is sent to CALENDAR_CONNECT, the provider sends it back to CALENDAR_CALLBACK.
CALENDAR_CONNECTIONS = "/calendar"
SIGN_IN_PROVIDERS = "/auth/oidc"
TWILIO_SMS_WEBHOOK = "/webhooks/twilio/sms"
STRIPE_WEBHOOK = "/webhooks/stripe"
# "Block this caller" from a summary email: a confirmation page (GET), then the block itself (POST).
BLOCK_CALLER_LINK = "/block-caller"

# Where a dev deployment serves the provider emulators (outside the API's prefix, as the real providers are).
SANDBOX_VAPI = "/sandbox/vapi"
SANDBOX_TWILIO = "/sandbox/twilio"
SANDBOX_GOOGLE = "/sandbox/google"
SANDBOX_MICROSOFT = "/sandbox/microsoft"
SANDBOX_HUBSPOT = "/sandbox/hubspot"
SANDBOX_STRIPE = "/sandbox/stripe"


def with_query(path: str, **query: str | int) -> str:
    """``path`` with ``query`` encoded after it (nothing added when there is no query)."""
    return f"{path}?{urlencode(query)}" if query else path


def absolute(base_url: str, path: str, **query: str | int) -> str:
    """A full URL for emails and providers: the deployment's public URL, ``path`` and its query."""
    return base_url.rstrip("/") + with_query(path, **query)


def api(path: str) -> str:
    """The full path of a v1 route (``/webhooks/vapi`` → ``/api/v1/webhooks/vapi``)."""
    return API_V1 + path


def call_page(call_id: int) -> str:
    """The page of one call."""
    return f"{CALLS}/{call_id}"


def admin_organisation(tenant_id: int | str) -> str:
    """The operators' read-only view of one organisation."""
    return f"/admin/organisations/{tenant_id}"


def recording_download(call_id: int, token: str) -> str:
    """The signed link the call page plays a recording from."""
    return with_query(api(f"{DOWNLOADS}/recording/{call_id}"), token=token)


def export_download(export_id: int, token: str) -> str:
    """The signed link to a data export built by a job (a caller's or the organisation's ZIP, admins)."""
    return with_query(api(f"{DOWNLOADS}/export/{export_id}.zip"), token=token)


def call_download(call_id: int, fmt: str, token: str) -> str:
    """The signed link to one call as JSON or its transcript as text (``fmt``: json or txt)."""
    return with_query(api(f"{DOWNLOADS}/call/{call_id}.{fmt}"), token=token)


def calls_download(fmt: str, token: str) -> str:
    """The signed link to the filtered calls as CSV or JSON (the filters travel inside the token)."""
    return with_query(api(f"{DOWNLOADS}/calls.{fmt}"), token=token)


def calendar_connect(provider: str, *, lang: str = "") -> str:
    """Where the "Connect Google / Microsoft" button sends an admin's browser (it answers with the provider's page)."""
    return with_query(api(f"{CALENDAR_CONNECTIONS}/{provider}/connect"), **({"lang": lang} if lang else {}))


CRM_HUBSPOT_CONNECT = API_V1 + "/crm/hubspot/connect"
CRM_HUBSPOT_CALLBACK = API_V1 + "/crm/hubspot/callback"


def crm_hubspot_connect(*, lang: str = "") -> str:
    """Where the "Connect with HubSpot" button sends an admin's browser (it answers with HubSpot's install page)."""
    return with_query(CRM_HUBSPOT_CONNECT, **({"lang": lang} if lang else {}))


def calendar_callback(provider: str) -> str:
    """The redirect URI registered with the provider: its answer to a connection comes back here."""
    return api(f"{CALENDAR_CONNECTIONS}/{provider}/callback")


def sign_in_start(provider: str, *, intent: str, lang: str = "") -> str:
    """Where "Continue with Google / Microsoft" (or "Link") sends the browser: it answers with the provider's page."""
    return with_query(api(f"{SIGN_IN_PROVIDERS}/{provider}/start"), intent=intent, **({"lang": lang} if lang else {}))


def sign_in_callback(provider: str) -> str:
    """The sign-in redirect URI registered with the provider: its answer to a sign-in comes back here."""
    return api(f"{SIGN_IN_PROVIDERS}/{provider}/callback")
