"""Authentication dependencies: who is calling (Bearer access token or ``ava_`` API key) and what they may do.

A route open to API keys names the scope it needs with one of the ``*ScopeDep`` aliases below (FastAPI's
``Security`` scopes, so the OpenAPI document shows them); a key without that scope gets 403 ``insufficient_scope``.
A route that names no scope is for people only: keys get 403 ``user_required``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from ava_app.api.deps import SessionDep
from ava_app.services import accounts, api_keys
from ava_app.services.accounts import SmsVerifier, TwilioSmsVerifier
from ava_app.services.api_keys import ASSISTANT_MANAGE, CALLS_READ, CALLS_WRITE, WEBHOOKS_MANAGE
from ava_app.services.errors import Unauthorized
from ava_app.services.principal import Principal

# auto_error=False: a missing header must produce AVA's JSON 401, not FastAPI's 403.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token from /auth/login, or an `ava_...` API key (Settings, API keys).",
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def client_ip(request: Request) -> str:
    """The caller's IP as the server sees it (run uvicorn with --proxy-headers behind a trusted proxy)."""
    return request.client.host if request.client else ""


def client_user_agent(request: Request) -> str:
    """The caller's User-Agent, shown in the sessions list."""
    return request.headers.get("user-agent", "")[:300]


def current_principal(
    security_scopes: SecurityScopes,
    credentials: BearerCredentials,
    session: SessionDep,
) -> Principal:
    """The authenticated caller; 401 without a valid, live token or key, 403 for a key without the route's scope."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("Authentication required.", code="not_authenticated")
    token = credentials.credentials.strip()
    if token.startswith(api_keys.KEY_PREFIX):
        principal = api_keys.authenticate_api_key(session, key=token)
        api_keys.require_scopes(principal, security_scopes.scopes)
        return principal
    return accounts.authenticate(session, access_token=token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def current_user(principal: PrincipalDep) -> Principal:
    """A logged-in person (403 for API keys): account, team and key management."""
    principal.require_user()
    return principal


def require_member(principal: PrincipalDep) -> Principal:
    """A caller with a current organisation (any role): tenant-scoped reads."""
    principal.require_member()
    return principal


def require_writer(principal: PrincipalDep) -> Principal:
    """An admin or user of the current organisation (viewers are read-only): tenant-scoped writes."""
    principal.require_writer()
    return principal


def require_admin(principal: PrincipalDep) -> Principal:
    """An admin of the current organisation: team, credentials, billing."""
    principal.require_admin()
    return principal


def require_admin_user(principal: PrincipalDep) -> Principal:
    """An admin of the current organisation, logged in as a person: routes that read or write secrets.

    API keys are refused (403): a leaked key must not read, replace or try out the organisation's provider
    credentials, nor send them to a server of its choosing through a connection test.
    """
    principal.require_user()
    principal.require_admin()
    return principal


def get_sms_verifier() -> SmsVerifier:
    """The SMS code sender/checker (Twilio Verify); tests override this dependency with a fake."""
    return TwilioSmsVerifier()


# Who may call a route, by the role it needs (see the functions above).
UserDep = Annotated[Principal, Depends(current_user)]
MemberDep = Annotated[Principal, Depends(require_member)]
WriterDep = Annotated[Principal, Depends(require_writer)]
AdminDep = Annotated[Principal, Depends(require_admin)]
AdminUserDep = Annotated[Principal, Depends(require_admin_user)]
SmsVerifierDep = Annotated[SmsVerifier, Depends(get_sms_verifier)]

# The same checks, open to API keys that hold the scope named (people: their role alone decides).
CallsReadDep = Annotated[Principal, Security(require_member, scopes=[CALLS_READ])]
CallsWriteDep = Annotated[Principal, Security(require_writer, scopes=[CALLS_WRITE])]
SetupScopeDep = Annotated[Principal, Security(current_principal, scopes=[ASSISTANT_MANAGE])]
AssistantReadDep = Annotated[Principal, Security(require_member, scopes=[ASSISTANT_MANAGE])]
AssistantWriteDep = Annotated[Principal, Security(require_writer, scopes=[ASSISTANT_MANAGE])]
AssistantAdminDep = Annotated[Principal, Security(require_admin, scopes=[ASSISTANT_MANAGE])]
WebhooksReadDep = Annotated[Principal, Security(require_member, scopes=[WEBHOOKS_MANAGE])]
WebhooksAdminDep = Annotated[Principal, Security(require_admin, scopes=[WEBHOOKS_MANAGE])]
