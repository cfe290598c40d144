"""OAuth 2.0 for the calendar providers (Google, Microsoft 365) through ``authlib``: authorization code + PKCE.

authlib builds the protocol messages (the authorization URL, the S256 challenge, the token requests); httpx sends
them, so the same transport reaches the emulators in tests. (authlib's own HTTP client is built on a different
HTTP library in this environment, and tests could not route it.)

The same machinery serves sign-in with Google and Microsoft (``services/providers/oidc.py``): one OAuth client per
provider, one transport, one token request (``token_request``).

One code path for both providers and for sandbox mode: ``calendar_endpoints`` says where the authorization page,
the token endpoint and the calendar API are (the real hosts with the OAuth client from Settings, or the local
emulators at ``{public_url}/sandbox/google`` and ``/sandbox/microsoft`` with this installation's sandbox client).
Wire details: ``docs/contracts/google-calendar.md`` and ``docs/contracts/microsoft-graph-calendar.md``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from authlib.common.urls import url_decode
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ava_app import routes
from ava_app.models import utcnow
from ava_app.services.errors import Forbidden, Invalid, ProviderError, ProviderUnavailable
from ava_app.settings import Settings, get_settings

PROVIDERS = ("google", "microsoft")
GOOGLE_SCOPES = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
)
# offline_access is what makes Microsoft return a refresh token; User.Read reads the account's address (/me).
MICROSOFT_SCOPES = ("offline_access", "User.Read", "Calendars.ReadWrite")
TIMEOUT = httpx.Timeout(15.0, connect=5.0)

# Tests put a transport here that routes requests to the emulators in-process (no server, no network).
provider_transport: httpx.AsyncBaseTransport | None = None


class TokenEndpoint(Protocol):
    """What a token request needs to know of a provider: where its token endpoint is and AVA's client there."""

    @property
    def token_url(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def client_secret(self) -> str: ...


class CalendarGrantRevoked(ProviderError):
    """The calendar account no longer lets AVA in (access revoked or expired). Reconnect the calendar in settings."""

    status_code = 409
    code = "calendar_grant_revoked"


class CalendarNotConfigured(Forbidden):
    """This calendar provider is not set up on this AVA server."""

    code = "calendar_not_configured"


@dataclass(frozen=True)
class CalendarEndpoints:
    """Where one provider's OAuth and calendar API live, and AVA's OAuth client there."""

    provider: str
    authorize_url: str
    token_url: str
    revoke_url: str | None
    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    sandbox: bool


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answered. ``refresh_token`` is None when the provider kept the one AVA has."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""


def calendar_endpoints(provider: str, *, settings: Settings | None = None) -> CalendarEndpoints:
    """The endpoints for ``provider`` in the current mode; ``CalendarNotConfigured`` in prod without a client."""
    settings = settings or get_settings()
    if provider not in PROVIDERS:
        raise Invalid("Unknown calendar provider.", code="calendar_provider_unknown", fields={"provider": "unknown"})
    sandboxed = settings.google_sandbox if provider == "google" else settings.microsoft_sandbox
    if sandboxed and not settings.emulators_served:
        raise CalendarNotConfigured()
    if provider == "google":
        if sandboxed:
            from ava_app.services.providers.sandbox_keys import sandbox_oauth_client

            client = sandbox_oauth_client("google", settings)
            base = settings.public_url + routes.SANDBOX_GOOGLE
            return CalendarEndpoints(
                provider="google",
                authorize_url=base + "/o/oauth2/v2/auth",
                token_url=base + "/token",
                revoke_url=base + "/revoke",
                api_url=base + "/calendar/v3",
                client_id=client.client_id,
                client_secret=client.client_secret,
                scopes=GOOGLE_SCOPES,
                sandbox=True,
            )
        return CalendarEndpoints(
            provider="google",
            authorize_url=settings.google_accounts_url + "/o/oauth2/v2/auth",
            token_url=settings.google_oauth_url + "/token",
            revoke_url=settings.google_oauth_url + "/revoke",
            api_url=settings.google_calendar_url,
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret,
            scopes=GOOGLE_SCOPES,
            sandbox=False,
        )
    if sandboxed:
        from ava_app.services.providers.sandbox_keys import sandbox_oauth_client

        client = sandbox_oauth_client("microsoft", settings)
        login, tenant = settings.public_url + routes.SANDBOX_MICROSOFT, "common"
        graph = login + "/v1.0"
        client_id, client_secret = client.client_id, client.client_secret
    else:
        login, graph, tenant = settings.microsoft_login_url, settings.microsoft_graph_url, settings.microsoft_tenant
        client_id, client_secret = settings.microsoft_client_id, settings.microsoft_client_secret
    return CalendarEndpoints(
        provider="microsoft",
        authorize_url=f"{login}/{tenant}/oauth2/v2.0/authorize",
        token_url=f"{login}/{tenant}/oauth2/v2.0/token",
        revoke_url=None,  # the identity platform has no revocation endpoint for one refresh token
        api_url=graph,
        client_id=client_id,
        client_secret=client_secret,
        scopes=MICROSOFT_SCOPES,
        sandbox=sandboxed,
    )


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 URL-safe characters (RFC 7636 asks for 43 to 128)."""
    return secrets.token_urlsafe(48)


def authorization_url(
    endpoints: CalendarEndpoints, *, redirect_uri: str, state: str, code_verifier: str, language: str = "en"
) -> str:
    """The provider's consent page for AVA, with ``state`` and the S256 challenge of ``code_verifier``.

    Google gets ``access_type=offline`` and ``prompt=consent`` (a refresh token every time, also on a reconnect);
    Microsoft gets ``response_mode=query`` and ``prompt=select_account``. ``language`` sets the page's language.
    """
    extra = (
        {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true", "hl": language}
        if endpoints.provider == "google"
        else {"response_mode": "query", "prompt": "select_account", "ui_locales": language}
    )
    return prepare_grant_uri(
        endpoints.authorize_url,
        endpoints.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=" ".join(endpoints.scopes),
        state=state,
        code_challenge=create_s256_code_challenge(code_verifier),
        code_challenge_method="S256",
        **extra,
    )


async def exchange_code(endpoints: CalendarEndpoints, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
    """Trade the callback's ``code`` (and the PKCE verifier) for tokens; a refused code is ``CalendarGrantRevoked``."""
    body = prepare_token_request(
        "authorization_code", redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
    )
    tokens = _token_set(await token_request(endpoints, body))
    if not tokens.refresh_token:
        raise ProviderError("The calendar provider gave no refresh token.", code="calendar_no_refresh_token")
    return tokens


async def refresh_access_token(endpoints: CalendarEndpoints, *, refresh_token: str) -> TokenSet:
    """A fresh access token; ``CalendarGrantRevoked`` when the provider answers ``invalid_grant`` (or 401)."""
    body = prepare_token_request("refresh_token", refresh_token=refresh_token, scope=" ".join(endpoints.scopes))
    return _token_set(await token_request(endpoints, body))


async def revoke_token(endpoints: CalendarEndpoints, *, token: str) -> bool:
    """Ask the provider to forget a refresh token (Google only); False when it could not be done."""
    if not endpoints.revoke_url:
        return False
    try:
        async with http_client() as http:
            answer = await http.post(endpoints.revoke_url, data={"token": token, "token_type_hint": "refresh_token"})
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def http_client() -> httpx.AsyncClient:
    """An httpx client for the providers (the tests' in-process transport when one is set)."""
    return httpx.AsyncClient(transport=provider_transport, timeout=TIMEOUT, headers={"Accept": "application/json"})


async def token_request(endpoints: TokenEndpoint, body: str) -> dict:
    """POST to the token endpoint with the client's secret in the form (``client_secret_post``, which both
    providers accept); the answer's JSON, or a domain error (a refused code or grant is ``CalendarGrantRevoked``)."""
    form = dict(url_decode(body))
    form.update(client_id=endpoints.client_id, client_secret=endpoints.client_secret)
    try:
        async with http_client() as http:
            answer = await http.post(endpoints.token_url, data=form)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable("The calendar provider cannot be reached.", code="calendar_unavailable") from exc
    if answer.status_code == 429 or answer.status_code >= 500:
        # A throttled or failing token endpoint is an outage to retry later, never a revoked grant.
        raise ProviderUnavailable("The calendar provider cannot be reached.", code="calendar_unavailable")
    try:
        token = answer.json()
    except ValueError:
        token = {}
    if not isinstance(token, dict):
        token = {}
    error = str(token.get("error") or "")
    if error in ("invalid_grant", "invalid_client", "unauthorized_client") or answer.status_code == 401:
        raise CalendarGrantRevoked(reason=error or "unauthorized")
    if error or answer.status_code != 200:
        raise ProviderError("The calendar provider refused the request.", code="calendar_oauth_refused", reason=error)
    return token


def _token_set(token: dict) -> TokenSet:
    try:
        expires_in = int(token.get("expires_in") or 3600)
        return TokenSet(
            access_token=str(token["access_token"]),
            expires_at=utcnow() + timedelta(seconds=expires_in),
            refresh_token=token.get("refresh_token") or None,
            scope=str(token.get("scope") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError("The calendar provider sent no access token.", code="calendar_oauth_refused") from exc
