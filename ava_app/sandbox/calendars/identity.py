"""OpenID Connect on the Google and Microsoft emulators: discovery, JWKS, id_tokens, and the identity picker.

A sign-in request is an authorization request with ``openid`` in its scope and a ``nonce`` (the calendar connection
sends neither a nonce nor asks for an identity). Its consent page lets the tester type the identity the provider
vouches for: an email address, whether the provider verified it, a name and, optionally, an account id (two
accounts claiming one address have different ids). The code's token answer then carries an ``id_token`` signed with
the emulator's RSA key (RS256), whose public half is served as the JWKS the discovery document names.

Claims follow each provider's documentation (``docs/contracts/google-sign-in.md``, ``microsoft-sign-in.md``):
Google's ``iss`` is the issuer, ``email_verified`` a boolean; Microsoft's ``iss`` names the account's directory
(``{base}/{tid}/v2.0``) and says whether the domain owner verified the address with the ``xms_edov`` claim.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ava_app.private_files import kept_secret

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken

ID_TOKEN_SECONDS = 3600
KEY_FILE = "sandbox_oidc_key.json"
# The directory of the emulated Microsoft accounts (Microsoft's own id for personal accounts is a GUID like it).
SANDBOX_TENANT_ID = "5a4db0c0-0000-4000-8000-00000000a7a0"
_SIGNER = JsonWebToken(["RS256"])

_TEXT = {
    "en": {
        "title": "Sign in with {brand}",
        "asks": "Continue to {app} as:",
        "email": "Email address",
        "verified": "{brand} has verified this address",
        "name": "Name",
        "subject": "Account id (optional: two accounts may claim one address)",
        "continue": "Continue",
        "cancel": "Cancel",
        "shares": "{brand} will share your name, email address and profile picture with {app}.",
    },
    "fr": {
        "title": "Se connecter avec {brand}",
        "asks": "Continuer vers {app} en tant que :",
        "email": "Adresse e-mail",
        "verified": "{brand} a vérifié cette adresse",
        "name": "Nom",
        "subject": "Identifiant du compte (facultatif : deux comptes peuvent annoncer la même adresse)",
        "continue": "Continuer",
        "cancel": "Annuler",
        "shares": "{brand} partagera votre nom, votre adresse e-mail et votre photo de profil avec {app}.",
    },
}


@dataclass(frozen=True)
class SignInIdentity:
    """Who the tester said they are on the identity picker."""

    email: str
    email_verified: bool
    name: str
    subject: str


def new_signing_key() -> dict:
    """A fresh RSA key pair (2048 bits) as a private JWK with a ``kid``: per installation or per test run."""
    key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
    private = key.as_dict(is_private=True)
    private["kid"] = key.thumbprint()
    private["use"], private["alg"] = "sig", "RS256"
    return private


def installation_signing_key(data_dir: Path | str) -> dict:
    """This installation's emulator key (``sandbox_oidc_key.json``, 0600): every process signs with the same one."""
    return json.loads(kept_secret(Path(data_dir) / KEY_FILE, make=lambda: json.dumps(new_signing_key())))


def public_jwks(private_jwk: dict) -> dict:
    """The JWKS document (public half only) of the emulator's key."""
    public = JsonWebKey.import_key(private_jwk).as_dict(is_private=False)
    public.update(kid=private_jwk["kid"], use="sig", alg="RS256")
    return {"keys": [public]}


def subject_of(brand: str, identity_email: str, account_id: str) -> str:
    """A stable subject per account: the same email (and account id) signs in as the same subject every time."""
    digest = hashlib.sha256(f"{brand}|{identity_email}|{account_id}".encode()).digest()
    if brand == "Google":
        return str(int.from_bytes(digest[:9], "big")).rjust(21, "1")[:21]
    return digest[:24].hex()


def id_token(
    *, brand: str, issuer: str, client_id: str, identity: SignInIdentity, nonce: str, key: dict, now: float
) -> str:
    """The signed id_token the provider returns for ``identity``: each provider's own claim set."""
    issued = int(now or time.time())
    claims: dict = {
        "iss": issuer,
        "aud": client_id,
        "sub": identity.subject,
        "email": identity.email,
        "name": identity.name,
        "iat": issued,
        "exp": issued + ID_TOKEN_SECONDS,
        "nonce": nonce,
    }
    if brand == "Google":
        claims.update(azp=client_id, email_verified=identity.email_verified)
    else:
        claims["iss"] = issuer.replace("{tenantid}", SANDBOX_TENANT_ID)
        claims.update(
            ver="2.0",
            tid=SANDBOX_TENANT_ID,
            oid=identity.subject[:32],
            nbf=issued,
            preferred_username=identity.email,
            xms_edov=identity.email_verified,
        )
    header = {"alg": "RS256", "kid": key["kid"], "typ": "JWT"}
    return _SIGNER.encode(header, claims, JsonWebKey.import_key(key)).decode()


def discovery(*, brand: str, issuer: str, base: str, tenant: str = "common") -> dict:
    """The OpenID provider metadata (``/.well-known/openid-configuration``) with the emulator's endpoints."""
    if brand == "Google":
        return {
            "issuer": issuer,
            "authorization_endpoint": base + "/o/oauth2/v2/auth",
            "token_endpoint": base + "/token",
            "revocation_endpoint": base + "/revoke",
            "jwks_uri": base + "/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "name", "sub"],
        }
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": None,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "email", "oid", "tid", "ver"],
    }


def picker_page(*, brand: str, lang: str, request_id: str, action: str, default_email: str) -> str:
    """The identity picker: the tester types or keeps an address, says whether it is verified, and continues."""
    text = {key: value.format(brand=brand, app="AVA") for key, value in _TEXT["fr" if lang == "fr" else "en"].items()}
    e = html.escape
    name = default_email.split("@")[0].replace(".", " ").title()
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(text["title"])}</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f3f4;color:#202124}}
main{{max-width:440px;margin:48px auto;padding:32px;background:#fff;border:1px solid #dadce0;border-radius:8px}}
h1{{font-size:22px;font-weight:500;margin:0 0 8px}} p{{font-size:15px;line-height:1.5}}
label{{display:block;font-size:14px;margin:14px 0 4px}} label.check{{display:flex;gap:8px;align-items:center}}
input[type=email],input[type=text]{{box-sizing:border-box;width:100%;font-size:16px;padding:10px;
border:1px solid #dadce0;border-radius:4px}}
.actions{{display:flex;gap:12px;justify-content:flex-end;margin-top:24px;flex-wrap:wrap}}
button{{font-size:15px;padding:10px 24px;border-radius:4px;cursor:pointer;border:1px solid #dadce0;background:#fff}}
button.allow{{background:#1a73e8;color:#fff;border-color:#1a73e8}} .note{{color:#5f6368;font-size:13px}}
@media (max-width:480px){{main{{margin:0;border:0;border-radius:0;padding:24px 16px}}}}
</style></head>
<body><main>
<h1>{e(text["title"])}</h1>
<p>{e(text["asks"])}</p>
<form method="post" action="{e(action)}">
<input type="hidden" name="request" value="{e(request_id)}">
<label for="email">{e(text["email"])}</label>
<input id="email" name="email" type="email" required value="{e(default_email)}" autocomplete="off">
<label class="check"><input id="email_verified" name="email_verified" type="checkbox" value="1" checked>
{e(text["verified"])}</label>
<label for="name">{e(text["name"])}</label>
<input id="name" name="name" type="text" value="{e(name)}">
<label for="subject">{e(text["subject"])}</label>
<input id="subject" name="subject" type="text" value="">
<p class="note">{e(text["shares"])}</p>
<div class="actions">
<button type="submit" name="decision" value="deny" formnovalidate>{e(text["cancel"])}</button>
<button type="submit" name="decision" value="allow" class="allow">{e(text["continue"])}</button>
</div></form>
</main></body></html>"""
