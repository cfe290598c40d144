"""id_token verification (``providers.oidc``) against tokens the Google and Microsoft emulators really sign.

Each check is shown to refuse one thing: another key's signature, another audience, an expired token, another
nonce, another issuer, a Microsoft directory other than the configured one; and ``email_verified``/``xms_edov``
decide whether the address counts as verified.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from ava_app.sandbox.calendars import identity as emulated
from ava_app.services.providers.oidc import SignInEndpoints, SignInRefused, verify_id_token

GOOGLE_ISSUER = "http://testserver/sandbox/google"
MICROSOFT_ISSUER = "http://testserver/sandbox/microsoft/{tenantid}/v2.0"
KEY = emulated.new_signing_key()
NOW = time.time()

GOOGLE = SignInEndpoints(
    provider="google",
    discovery_url=GOOGLE_ISSUER + "/.well-known/openid-configuration",
    authorize_url=GOOGLE_ISSUER + "/o/oauth2/v2/auth",
    token_url=GOOGLE_ISSUER + "/token",
    client_id="1234-abc.apps.googleusercontent.com",
    client_secret="secret",
    sandbox=True,
)
MICROSOFT = replace(GOOGLE, provider="microsoft", client_id="6f1c3f7e-5d36-4a4b-9d0c-27e0f5f1e0a1")


def token(
    *,
    brand: str = "Google",
    email: str = "ana@salon.example",
    verified: bool = True,
    nonce: str = "n-123",
    client_id: str = GOOGLE.client_id,
    key: dict = KEY,
    issuer: str = GOOGLE_ISSUER,
    now: float = NOW,
) -> str:
    who = emulated.SignInIdentity(
        email=email, email_verified=verified, name="Ana", subject=emulated.subject_of(brand, email, "")
    )
    return emulated.id_token(
        brand=brand, issuer=issuer, client_id=client_id, identity=who, nonce=nonce, key=key, now=now
    )


def verify(id_token: str, *, endpoints=GOOGLE, nonce="n-123", issuer=GOOGLE_ISSUER, key=KEY, now=NOW):
    return verify_id_token(endpoints, id_token, nonce=nonce, issuer=issuer, jwks=emulated.public_jwks(key), now=now)


def test_a_good_google_token_gives_the_identity():
    got = verify(token())
    assert (got.provider, got.email, got.email_verified, got.name) == ("google", "ana@salon.example", True, "Ana")
    assert got.subject == emulated.subject_of("Google", "ana@salon.example", "") and got.subject.isdigit()


def test_google_says_when_the_address_is_not_verified():
    assert verify(token(verified=False)).email_verified is False


def test_a_signature_by_another_key_is_refused():
    with pytest.raises(SignInRefused):
        verify(token(key=emulated.new_signing_key()))


def test_a_tampered_payload_is_refused():
    head, body, signature = token().split(".")
    other_head, other_body, _ = token(email="mallory@evil.example").split(".")
    with pytest.raises(SignInRefused):
        verify(f"{head}.{other_body}.{signature}")


def test_a_token_for_another_client_is_refused():
    with pytest.raises(SignInRefused):
        verify(token(client_id="someone-else.apps.googleusercontent.com"))


def test_an_expired_token_is_refused():
    with pytest.raises(SignInRefused):
        verify(token(now=NOW - 2 * emulated.ID_TOKEN_SECONDS))


def test_another_nonce_is_refused():
    with pytest.raises(SignInRefused):
        verify(token(nonce="n-other"))


def test_another_issuer_is_refused():
    with pytest.raises(SignInRefused):
        verify(token(issuer="https://accounts.evil.example"))


def test_an_unsigned_token_is_refused():
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"iss": GOOGLE_ISSUER, "aud": GOOGLE.client_id, "sub": "1", "exp": NOW + 600, "iat": NOW, "nonce": "n-123"}
    with pytest.raises(SignInRefused):
        verify(f"{part({'alg': 'none'})}.{part(claims)}.")


def ms_token(**options) -> str:
    return token(brand="Microsoft", client_id=MICROSOFT.client_id, issuer=MICROSOFT_ISSUER, **options)


def test_microsoft_issuer_is_the_account_directory():
    got = verify(ms_token(), endpoints=MICROSOFT, issuer=MICROSOFT_ISSUER)
    assert (got.provider, got.email, got.email_verified) == ("microsoft", "ana@salon.example", True)
    # The discovery document's issuer for "common" has a placeholder; the token names the directory itself.
    wrong = token(brand="Google", client_id=MICROSOFT.client_id, issuer=MICROSOFT_ISSUER)  # no tid claim
    with pytest.raises(SignInRefused):
        verify(wrong, endpoints=MICROSOFT, issuer=MICROSOFT_ISSUER)


def test_microsoft_address_counts_as_verified_only_with_xms_edov():
    assert verify(ms_token(verified=False), endpoints=MICROSOFT, issuer=MICROSOFT_ISSUER).email_verified is False


def test_microsoft_refuses_another_directory_when_one_is_configured():
    one_directory = replace(MICROSOFT, microsoft_tenant="11111111-2222-3333-4444-555555555555")
    with pytest.raises(SignInRefused):
        verify(ms_token(), endpoints=one_directory, issuer=MICROSOFT_ISSUER)
    allowed = replace(MICROSOFT, microsoft_tenant=emulated.SANDBOX_TENANT_ID)
    assert verify(ms_token(), endpoints=allowed, issuer=MICROSOFT_ISSUER).email == "ana@salon.example"


def test_buttons_show_only_for_configured_or_emulated_providers():
    from ava_app.services.providers.oidc import offered_providers, sign_in_endpoints
    from ava_app.settings import get_settings

    dev = get_settings().model_copy(update={"env": "dev", "google_client_id": "", "microsoft_client_id": ""})
    assert offered_providers(dev) == ["google", "microsoft"]  # both emulated
    prod = dev.model_copy(update={"env": "prod", "google_client_id": "real-id", "google_client_secret": "real-secret"})
    assert offered_providers(prod) == ["google"]  # Microsoft has no client: no button, no emulator
    google = sign_in_endpoints("google", settings=prod)
    assert google.discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert google.client_id == "real-id" and not google.sandbox
    one_directory = prod.model_copy(
        update={"microsoft_client_id": "m-id", "microsoft_client_secret": "m-secret", "microsoft_tenant": "contoso-id"}
    )
    microsoft = sign_in_endpoints("microsoft", settings=one_directory)
    assert microsoft.discovery_url == (
        "https://login.microsoftonline.com/contoso-id/v2.0/.well-known/openid-configuration"
    )
    assert microsoft.microsoft_tenant == "contoso-id"
