"""Access tokens (JWT, HS256) and random secrets stored only as hashes (refresh, magic link, invite, API key)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from ava_app.models import utcnow
from ava_app.services.errors import Unauthorized
from ava_app.settings import get_settings

# Short-lived: a stolen access token is worth minutes; API clients refresh, the browser uses its session cookie.
ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=7)
# However active a device is, its session ends this long after login (sliding expiry stops here).
SESSION_MAX_AGE = timedelta(days=30)
AUDIENCE = "ava"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "jti", "aud", "sub", "sid"]


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: whose it is and which session (refresh family) it belongs to."""

    user_id: int
    session_id: int
    jti: str
    expires_at: datetime


def create_access_token(*, user_id: int, session_id: int, now: datetime | None = None) -> str:
    """A signed JWT for ``user_id`` bound to ``session_id`` (checked per request, so revoking it ends the token)."""
    issued = now or utcnow()
    payload = {
        "sub": str(user_id),
        "sid": session_id,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ACCESS_TOKEN_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(payload, get_settings().secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> AccessClaims:
    """The claims of a valid token; Unauthorized when expired, tampered, for another audience or not HS256."""
    try:
        # Pinning the algorithm list is what refuses alg=none and key-confusion tokens.
        payload = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": REQUIRED_CLAIMS},
        )
        if payload.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        return AccessClaims(
            user_id=int(payload["sub"]),
            session_id=int(payload["sid"]),
            jti=str(payload["jti"]),
            expires_at=datetime.fromtimestamp(payload["exp"], tz=utcnow().tzinfo),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your session has expired, please log in again.", code="token_expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized(code="invalid_token") from None


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    """A random URL-safe secret (256 bits by default), optionally prefixed so it is recognisable (``ava_``)."""
    return prefix + secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a random secret.

    A fast hash is right here: the secrets are 256-bit random values, so there is nothing to brute force, and lookup
    by hash must be a plain indexed equality.
    """
    return hashlib.sha256(secret.encode()).hexdigest()
