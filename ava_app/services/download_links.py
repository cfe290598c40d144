"""Short-lived signed download links, for what a browser fetches without sending its bearer token.

An ``<audio src>`` or a download link cannot carry the ``Authorization`` header, and the access token must never sit
in a URL (logs, history, Referer). So a signed-in page asks for a link: a JWT signed with a key derived from the
app's secret (not the access-token key, so neither can stand in for the other), naming the session that asked, the
one thing it opens (a call's recording, a call's export, the calls export with its filters, a data export built by a
job) and an expiry of minutes. Redeeming it re-checks that session and the member's current role, so logging out or
losing access stops links already handed out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from sqlmodel import Session

from ava_app.models import AuthSession, User, as_utc, utcnow
from ava_app.services.accounts import role_in
from ava_app.services.errors import Unauthorized
from ava_app.services.principal import Principal
from ava_app.settings import get_settings

AUDIENCE = "ava-download"
ALGORITHM = "HS256"
KINDS = ("recording", "call", "calls", "export")
# Long enough for a listener to pause and seek around a recording; an export link is used at once.
RECORDING_TTL = timedelta(minutes=30)
EXPORT_TTL = timedelta(minutes=2)


@dataclass(frozen=True)
class DownloadGrant:
    """What a valid link lets its holder fetch, and as whom."""

    principal: Principal
    kind: str
    resource: dict[str, Any]


def _key() -> bytes:
    return hmac.new(get_settings().secret_key.encode(), b"ava-download-links", hashlib.sha256).digest()


def issue_link_token(*, principal: Principal, kind: str, resource: dict[str, Any], ttl: timedelta) -> str:
    """A signed token for ``kind`` (recording | call | calls | export) and ``resource`` (call id, filters, export id).

    Only a signed-in person's session can ask (API keys use the REST routes with their own header).
    """
    tenant_id = principal.require_member()
    user_id = principal.require_user()
    if kind not in KINDS:
        raise ValueError(f"unknown download kind {kind!r}")
    if principal.session_id is None:
        raise Unauthorized(code="session_ended")
    now = utcnow()
    payload = {
        "aud": AUDIENCE,
        "sub": str(user_id),
        "sid": principal.session_id,
        "tid": tenant_id,
        "kind": kind,
        "res": resource,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, _key(), algorithm=ALGORITHM)


def redeem_link_token(session: Session, *, token: str, kind: str) -> DownloadGrant:
    """The grant in ``token`` if it is genuine, unexpired, of ``kind``, and its session and membership still hold.

    Raises ``Unauthorized`` (code ``link_invalid``) otherwise, the same way for every reason.
    """
    refused = Unauthorized("This link has expired or is not valid.", code="link_invalid")
    try:
        claims = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "sid", "tid", "kind", "res"]},
        )
        user_id, session_id, tenant_id = int(claims["sub"]), int(claims["sid"]), int(claims["tid"])
    except (jwt.PyJWTError, TypeError, ValueError):
        raise refused from None
    if claims["kind"] != kind or not isinstance(claims["res"], dict):
        raise refused
    auth_session = session.get(AuthSession, session_id)
    if (
        auth_session is None
        or auth_session.user_id != user_id
        or auth_session.revoked_at is not None
        or as_utc(auth_session.expires_at) <= utcnow()
        or auth_session.tenant_id != tenant_id
    ):
        raise refused
    user = session.get(User, user_id)
    role = role_in(session, user_id=user_id, tenant_id=tenant_id) if user is not None and user.is_active else None
    if role is None:
        raise refused
    principal = Principal(user_id=user_id, tenant_id=tenant_id, role=role, session_id=session_id)
    return DownloadGrant(principal=principal, kind=kind, resource=claims["res"])
