"""Sign in with Google or Microsoft: OpenID Connect (authorization code + PKCE, a nonce) through ``authlib``.

It rides on the calendars' OAuth machinery (``calendar_oauth``): the same OAuth client per provider (so the same
sandbox emulators, at ``{public_url}/sandbox/google`` and ``/sandbox/microsoft``), the same transport and token
request. What sign-in adds is the ``id_token``: it is verified with authlib's JOSE support against the keys the
provider publishes (its JWKS, found through its discovery document): RS256 signature, issuer, audience (AVA's
client id), expiry and issue time, and the nonce AVA sent. Google says whether it verified the address
(``email_verified``); Microsoft's issuer names the account's directory (``tid``), and an address counts as verified
only when Microsoft says the domain's owner vouches for it (``xms_edov``).

Discovery documents and key sets come from the providers' fixed addresses in Settings (no tenant can influence
them), cached an hour; an unknown key id fetches the key set again once (the provider rotated its keys).
Wire details: ``docs/contracts/google-sign-in.md`` and ``docs/contracts/microsoft-sign-in.md``.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ava_app.services.errors import Forbidden, ProviderError, ProviderUnavailable
from ava_app.services.providers import calendar_oauth
from ava_app.services.providers.calendar_oauth import CalendarGrantRevoked, CalendarNotConfigured
from ava_app.settings import Settings, get_settings

with warnings.catch_warnings():
    # authlib marks its jose package as moving to a sister project; it is the one its OIDC claims classes use.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken

PROVIDERS = calendar_oauth.PROVIDERS
SIGN_IN_SCOPES = ("openid", "email", "profile")
GOOGLE_ISSUER = "https://accounts.google.com"
LABELS = {"google": "Google", "microsoft": "Microsoft"}
METADATA_SECONDS = 3600
CLOCK_LEEWAY = 120
# Microsoft's multi-tenant names: any directory may sign in. A directory id (GUID) limits sign-in to that one.
MICROSOFT_ANY_TENANT = ("common", "organizations", "consumers")
_ID_TOKEN = JsonWebToken(["RS256"])  # never "none" nor an HMAC algorithm keyed with a public key
_cache: dict[str, tuple[float, dict]] = {}


class SignInRefused(Forbidden):
    """This sign-in could not be completed. Try again."""

    code = "sign_in_refused"


class SignInNotConfigured(Forbidden):
    """Sign-in with this provider is not set up on this AVA server."""

    code = "sign_in_not_configured"


@dataclass(frozen=True)
class SignInEndpoints:
    """One provider's OpenID Connect endpoints and AVA's client there (the calendars' client)."""

    provider: str
    discovery_url: str
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    microsoft_tenant: str = "common"
    sandbox: bool = False


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a verified id_token says: the account at the provider (``subject``) and its address."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str


def sign_in_endpoints(provider: str, *, settings: Settings | None = None) -> SignInEndpoints:
    """The endpoints for ``provider``; ``SignInNotConfigured`` when it has no client here (nor a served emulator)."""
    settings = settings or get_settings()
    try:
        calendar = calendar_oauth.calendar_endpoints(provider, settings=settings)
    except CalendarNotConfigured:
        raise SignInNotConfigured() from None
    if not calendar.client_id:
        raise SignInNotConfigured()
    if provider == "google":
        base = calendar.token_url.rsplit("/", 1)[0] if calendar.sandbox else settings.google_accounts_url
        discovery = base + "/.well-known/openid-configuration"
        tenant = "common"
    else:
        tenant = "common" if calendar.sandbox else settings.microsoft_tenant
        base = calendar.authorize_url.split(f"/{tenant}/oauth2/", 1)[0]
        discovery = f"{base}/{tenant}/v2.0/.well-known/openid-configuration"
    return SignInEndpoints(
        provider=provider,
        discovery_url=discovery,
        authorize_url=calendar.authorize_url,
        token_url=calendar.token_url,
        client_id=calendar.client_id,
        client_secret=calendar.client_secret,
        microsoft_tenant=tenant,
        sandbox=calendar.sandbox,
    )


def offered_providers(settings: Settings | None = None) -> list[str]:
    """The providers whose buttons the login and signup pages show: configured, or emulated in dev."""
    offered = []
    for provider in PROVIDERS:
        try:
            sign_in_endpoints(provider, settings=settings)
        except SignInNotConfigured:
            continue
        offered.append(provider)
    return offered


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def authorization_url(
    endpoints: SignInEndpoints, *, redirect_uri: str, state: str, nonce: str, code_verifier: str, language: str = "en"
) -> str:
    """The provider's sign-in page for AVA: ``openid email profile``, ``state``, ``nonce`` and the S256 challenge."""
    extra = {"prompt": "select_account"}
    extra.update({"hl": language} if endpoints.provider == "google" else {"ui_locales": language})
    return prepare_grant_uri(
        endpoints.authorize_url,
        endpoints.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=" ".join(SIGN_IN_SCOPES),
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(code_verifier),
        code_challenge_method="S256",
        **extra,
    )


async def identity_from_code(
    endpoints: SignInEndpoints, *, code: str, code_verifier: str, redirect_uri: str, nonce: str
) -> VerifiedIdentity:
    """Trade the callback's code for tokens and verify the id_token; ``SignInRefused`` when anything is off."""
    body = prepare_token_request(
        "authorization_code", redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
    )
    try:
        token = await calendar_oauth.token_request(endpoints, body)
    except CalendarGrantRevoked:
        raise SignInRefused(reason="code_refused") from None
    except ProviderUnavailable:
        raise
    except ProviderError:
        raise SignInRefused(reason="token_refused") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused(reason="no_id_token")
    metadata = await _fetch_json(endpoints.discovery_url)
    jwks_uri = str(metadata.get("jwks_uri") or "")
    if not jwks_uri:
        raise SignInRefused(reason="no_jwks")
    jwks = await _fetch_json(jwks_uri)
    if _kid(id_token) not in {key.get("kid") for key in jwks.get("keys", []) if isinstance(key, dict)}:
        jwks = await _fetch_json(jwks_uri, fresh=True)  # the provider rotated its keys since the last fetch
    return verify_id_token(endpoints, id_token, nonce=nonce, issuer=str(metadata.get("issuer") or ""), jwks=jwks)


def verify_id_token(
    endpoints: SignInEndpoints, id_token: str, *, nonce: str, issuer: str, jwks: dict, now: float | None = None
) -> VerifiedIdentity:
    """Check ``id_token`` (signature against ``jwks``, ``iss``, ``aud``, ``exp``/``iat``, ``nonce``); its identity.

    ``issuer`` is the discovery document's: Google's as is, Microsoft's with ``{tenantid}`` standing for the
    account's directory (the token's ``tid``), which must also be the configured one when a directory is set.
    """
    if not issuer or not nonce:
        raise SignInRefused(reason="no_issuer")
    try:
        keys = JsonWebKey.import_key_set(jwks)
        claims = _ID_TOKEN.decode(
            id_token,
            keys,
            claims_cls=CodeIDToken,
            claims_options={"aud": {"essential": True, "value": endpoints.client_id}, "sub": {"essential": True}},
            claims_params={"nonce": nonce, "client_id": endpoints.client_id},
        )
        claims.validate(now=int(now if now is not None else time.time()), leeway=CLOCK_LEEWAY)
    except Exception as error:  # noqa: BLE001 - whatever fails to verify (authlib raises its own and joserfc's) refuses
        raise SignInRefused(reason=type(error).__name__) from None
    expected = issuer
    if endpoints.provider == "microsoft":
        tid = str(claims.get("tid") or "")
        if not tid or ("{tenantid}" not in issuer and tid not in issuer):
            raise SignInRefused(reason="tenant")
        expected = issuer.replace("{tenantid}", tid)
        if endpoints.microsoft_tenant not in MICROSOFT_ANY_TENANT and tid != endpoints.microsoft_tenant:
            raise SignInRefused(reason="tenant")
    # Google documents both spellings of its issuer, with and without the scheme.
    accepted = {expected, expected.removeprefix("https://")} if expected == GOOGLE_ISSUER else {expected}
    if claims.get("iss") not in accepted:
        raise SignInRefused(reason="issuer")
    if isinstance(claims.get("aud"), list) and claims.get("azp") not in (None, endpoints.client_id):
        raise SignInRefused(reason="azp")
    email = str(claims.get("email") or "").strip().lower()
    if endpoints.provider == "google":
        verified = claims.get("email_verified") is True or claims.get("email_verified") == "true"
    else:
        email = email or str(claims.get("preferred_username") or "").strip().lower()
        verified = claims.get("xms_edov") is True or claims.get("xms_edov") in ("1", "true")
    return VerifiedIdentity(
        provider=endpoints.provider,
        subject=str(claims["sub"])[:255],
        email=email[:320],
        email_verified=verified and "@" in email,
        name=str(claims.get("name") or "").strip()[:120],
    )


def _kid(id_token: str) -> str:
    """The key id in the token's header ('' when unreadable: the verification then refuses it)."""
    try:
        head = id_token.split(".", 1)[0]
        return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))).get("kid") or "")
    except (ValueError, AttributeError):
        return ""


async def _fetch_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    """A provider's discovery document or key set (cached ``METADATA_SECONDS``); ProviderUnavailable when down."""
    cached = _cache.get(url)
    if cached and not fresh and cached[0] > time.monotonic():
        return cached[1]
    try:
        async with calendar_oauth.http_client() as http:
            answer = await http.get(url)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable("The sign-in provider cannot be reached.", code="sign_in_unavailable") from exc
    if answer.status_code != 200:
        raise ProviderUnavailable("The sign-in provider cannot be reached.", code="sign_in_unavailable")
    try:
        value = answer.json()
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ProviderUnavailable("The sign-in provider cannot be reached.", code="sign_in_unavailable")
    _cache[url] = (time.monotonic() + METADATA_SECONDS, value)
    return value


def forget_cached_metadata() -> None:
    """Drop the cached discovery documents and key sets (tests, which start emulators with fresh keys)."""
    _cache.clear()
