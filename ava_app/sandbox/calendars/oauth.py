"""The OAuth 2.0 authorization server both calendar emulators share: authorization code + PKCE (S256), refresh, revoke.

It behaves as ``docs/contracts/google-calendar.md`` and ``microsoft-graph-calendar.md`` describe: a consent page
with "Allow" and "Deny" (English or French), codes valid ten minutes and once, the PKCE verifier checked, refresh
tokens that stop working once revoked (``invalid_grant``), and access tokens that expire. State is kept in memory, per
process; tests read and change it through the ``OAuthServer`` object.

A sign-in request (``openid`` in the scope and a ``nonce``) gets the identity picker instead of the consent page, and
its code's token answer an id_token; discovery and the key set are served here too (``identity.py``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ava_app.sandbox.calendars import identity as oidc

CODE_SECONDS = 600
# The consent page's own policy: its inline style, its form posting to this origin, no script, never framed.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ACCESS_TOKEN_SECONDS = 3599

_PAGE_TEXT = {
    "en": {
        "title": "Sign in with {brand}",
        "asks": "{app} wants to access your {brand} account",
        "account": "Signed in as",
        "scopes": "This will allow {app} to:",
        "scope_calendar": "See your free and busy times, and create, change and delete the events it made",
        "scope_profile": "See your email address",
        "allow": "Allow",
        "deny": "Deny",
        "sandbox": "AVA sandbox: no real account is used.",
        "error_title": "This request is not valid",
    },
    "fr": {
        "title": "Se connecter avec {brand}",
        "asks": "{app} souhaite accéder à votre compte {brand}",
        "account": "Connecté en tant que",
        "scopes": "{app} pourra :",
        "scope_calendar": "voir vos disponibilités, et créer, modifier et supprimer les événements qu'il a créés",
        "scope_profile": "voir votre adresse e-mail",
        "allow": "Autoriser",
        "deny": "Refuser",
        "sandbox": "Bac à sable AVA : aucun compte réel n'est utilisé.",
        "error_title": "Cette demande n'est pas valide",
    },
}


@dataclass
class PendingConsent:
    """An authorization request waiting on the consent page's answer."""

    client_id: str
    redirect_uri: str
    state: str
    scope: str
    code_challenge: str
    expires: float
    nonce: str = ""  # set on a sign-in (OpenID Connect) request


@dataclass
class IssuedCode:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    account: str
    expires: float
    used: bool = False
    nonce: str = ""
    identity: oidc.SignInIdentity | None = None


@dataclass
class Grant:
    """What one "Allow" gave: a refresh token for an account, alive until revoked."""

    account: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class OAuthServer:
    """One provider's authorization server. ``brand`` names it on the consent page.

    ``rotate_refresh_tokens``: Microsoft answers a refresh with a new refresh token (the old one keeps working),
    Google keeps the same one and leaves ``refresh_token`` out of the answer.
    """

    brand: str
    account: str
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> client_secret
    redirect_uris: set[str] = field(default_factory=set)
    required_scope: str = ""
    rotate_refresh_tokens: bool = False
    now: Callable[[], float] = time.time
    pending: dict[str, PendingConsent] = field(default_factory=dict)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # refresh token -> grant
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (refresh token, expiry)
    # OpenID Connect: the issuer AVA expects (Microsoft's holds "{tenantid}") and the RSA key id_tokens are signed
    # with (a private JWK; a fresh one per emulator unless the installation's is given).
    issuer: str = ""
    signing_key: dict = field(default_factory=oidc.new_signing_key, repr=False)
    signed_in: list[oidc.SignInIdentity] = field(default_factory=list)

    # --- what tests use

    def register(self, *, client_id: str, client_secret: str, redirect_uri: str | None = None) -> None:
        """Register AVA's OAuth client (and, optionally, a redirect URI it may use)."""
        self.clients[client_id] = client_secret
        if redirect_uri:
            self.redirect_uris.add(redirect_uri)

    def revoke_all(self) -> None:
        """The account holder removes AVA's access: every refresh and access token stops working."""
        for grant in self.grants.values():
            grant.revoked = True
        self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is past its lifetime (the next API call gets 401)."""
        self.access_tokens = {token: (refresh, 0.0) for token, (refresh, _) in self.access_tokens.items()}

    def account_of(self, access_token: str) -> str | None:
        """The account an access token is for, or None when it is unknown, expired or revoked."""
        entry = self.access_tokens.get(access_token)
        if entry is None or entry[1] <= self.now():
            return None
        grant = self.grants.get(entry[0])
        if grant is None or grant.revoked:
            return None
        return grant.account

    # --- the endpoints

    async def authorize(self, request: Request) -> Response:
        """GET: check the request, then show the consent page (errors about the client are shown, never redirected)."""
        params = request.query_params
        lang = _language(params.get("hl") or params.get("ui_locales") or "")
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        if client_id not in self.clients:
            return self._error_page(lang, "invalid_client", "The OAuth client was not found.")
        if redirect_uri not in self.redirect_uris:
            return self._error_page(lang, "redirect_uri_mismatch", "Redirect URI not registered for this client.")
        state = params.get("state", "")

        def back(error: str, description: str) -> Response:
            return _redirect(redirect_uri, {"error": error, "error_description": description, "state": state})

        if params.get("response_type") != "code":
            return back("unsupported_response_type", "Only response_type=code is supported.")
        scope = params.get("scope", "")
        nonce = params.get("nonce", "") if "openid" in scope.split() else ""
        if self.required_scope and not nonce and self.required_scope not in scope.split():
            return back("invalid_scope", f"The scope must include {self.required_scope}.")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
            return back("invalid_request", "PKCE with code_challenge_method=S256 is required.")
        request_id = secrets.token_urlsafe(24)
        self.pending[request_id] = PendingConsent(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            scope=scope,
            code_challenge=challenge,
            expires=self.now() + CODE_SECONDS,
            nonce=nonce[:200],
        )
        # The consent route sits beside the authorize one (url_for would find the other emulator's first).
        action = request.url.path.rsplit("/", 1)[0] + "/consent"
        if nonce:
            page = oidc.picker_page(
                brand=self.brand, lang=lang, request_id=request_id, action=action, default_email=self.account
            )
            return HTMLResponse(page, headers={"Cache-Control": "no-store", "Content-Security-Policy": _PAGE_POLICY})
        return self._consent_page(lang, request_id, action=action)

    async def consent(self, request: Request) -> Response:
        """POST from the consent page: "Allow" sends a code back to the client, "Deny" an access_denied error."""
        form = await request.form()
        pending = self.pending.pop(str(form.get("request", "")), None)
        if pending is None or pending.expires <= self.now():
            return self._error_page("en", "invalid_request", "This consent page has expired. Start again.")
        if form.get("decision") != "allow":
            return _redirect(
                pending.redirect_uri,
                {"error": "access_denied", "error_description": "The user denied access.", "state": pending.state},
            )
        who = None
        if pending.nonce:
            email = str(form.get("email", "")).strip()[:254]
            if "@" not in email:
                return self._error_page("en", "invalid_request", "Type an email address.")
            who = oidc.SignInIdentity(
                email=email,
                email_verified=form.get("email_verified") == "1",
                name=str(form.get("name", "")).strip()[:120] or email.split("@")[0],
                subject=oidc.subject_of(self.brand, email.lower(), str(form.get("subject", "")).strip()[:64]),
            )
        code = "code_" + secrets.token_urlsafe(32)
        self.codes[code] = IssuedCode(
            client_id=pending.client_id,
            redirect_uri=pending.redirect_uri,
            scope=pending.scope,
            code_challenge=pending.code_challenge,
            account=who.email if who else self.account,
            expires=self.now() + CODE_SECONDS,
            nonce=pending.nonce,
            identity=who,
        )
        return _redirect(pending.redirect_uri, {"code": code, "state": pending.state, "scope": pending.scope})

    async def token(self, request: Request) -> Response:
        """POST (form): ``authorization_code`` (with the PKCE verifier) or ``refresh_token`` grants."""
        form = await request.form()
        client_id, client_secret = _client_credentials(request, form)
        if client_id not in self.clients or not secrets.compare_digest(self.clients[client_id], client_secret):
            return _oauth_error(401, "invalid_client", "The OAuth client was not found or its secret is wrong.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form, client_id, issuer=self._issuer(request))
        if grant_type == "refresh_token":
            return self._refresh(form, client_id)
        return _oauth_error(400, "unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")

    async def revoke(self, request: Request) -> Response:
        """POST ``token=``: revoke a refresh token (and its access tokens), or one access token."""
        form = await request.form()
        token = str(form.get("token") or request.query_params.get("token") or "")
        if token in self.grants:
            self.grants[token].revoked = True
            self.access_tokens = {key: value for key, value in self.access_tokens.items() if value[0] != token}
            return JSONResponse({})
        if self.access_tokens.pop(token, None) is not None:
            return JSONResponse({})
        return _oauth_error(400, "invalid_token", "Token expired or revoked.")

    async def openid_configuration(self, request: Request) -> Response:
        """GET ``/.well-known/openid-configuration``: the provider metadata, endpoints under this emulator's base."""
        tenant = request.path_params.get("tenant", "common")
        return JSONResponse(
            oidc.discovery(brand=self.brand, issuer=self._issuer(request), base=self._base(request), tenant=tenant)
        )

    async def jwks(self, request: Request) -> Response:
        """GET the JSON Web Key Set id_tokens are verified with (the public half of the emulator's key)."""
        return JSONResponse(oidc.public_jwks(self.signing_key), headers={"Cache-Control": "public, max-age=3600"})

    def _issuer(self, request: Request) -> str:
        """The issuer id_tokens carry: the one set at mount, else this emulator's base as the caller reached it."""
        if self.issuer:
            return self.issuer
        base = self._base(request)
        return base + "/{tenantid}/v2.0" if self.brand == "Microsoft" else base

    def _base(self, request: Request) -> str:
        """Where this emulator is mounted, as the caller reached it (scheme, host and mount path)."""
        root = request.scope.get("root_path", "")
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    # --- inside

    def _exchange_code(self, form, client_id: str, *, issuer: str = "") -> Response:
        issued = self.codes.get(str(form.get("code", "")))
        if issued is None or issued.used or issued.expires <= self.now() or issued.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid, expired or already used.")
        issued.used = True
        if form.get("redirect_uri") != issued.redirect_uri:
            return _oauth_error(400, "invalid_grant", "The redirect URI does not match the authorization request.")
        verifier = str(form.get("code_verifier", ""))
        if not verifier or not secrets.compare_digest(_s256(verifier), issued.code_challenge):
            return _oauth_error(400, "invalid_grant", "The PKCE code verifier does not match the code challenge.")
        refresh_token = "rt_" + secrets.token_urlsafe(40)
        self.grants[refresh_token] = Grant(account=issued.account, client_id=client_id, scope=issued.scope)
        signed = None
        if issued.identity is not None:
            self.signed_in.append(issued.identity)
            signed = oidc.id_token(
                brand=self.brand,
                issuer=issuer,
                client_id=client_id,
                identity=issued.identity,
                nonce=issued.nonce,
                key=self.signing_key,
                now=self.now(),
            )
        return self._tokens(refresh_token, include_refresh=True, id_token=signed)

    def _refresh(self, form, client_id: str) -> Response:
        refresh_token = str(form.get("refresh_token", ""))
        grant = self.grants.get(refresh_token)
        if grant is None or grant.revoked or grant.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if self.rotate_refresh_tokens:
            rotated = "rt_" + secrets.token_urlsafe(40)
            self.grants[rotated] = Grant(account=grant.account, client_id=client_id, scope=grant.scope)
            return self._tokens(rotated, include_refresh=True)
        return self._tokens(refresh_token, include_refresh=False)

    def _tokens(self, refresh_token: str, *, include_refresh: bool, id_token: str | None = None) -> Response:
        access_token = "at_" + secrets.token_urlsafe(40)
        self.access_tokens[access_token] = (refresh_token, self.now() + ACCESS_TOKEN_SECONDS)
        body: dict = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "scope": self.grants[refresh_token].scope,
        }
        if include_refresh:
            body["refresh_token"] = refresh_token
        if id_token:
            body["id_token"] = id_token
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _consent_page(self, lang: str, request_id: str, *, action: str) -> HTMLResponse:
        text = {key: value.format(brand=self.brand, app="AVA") for key, value in _PAGE_TEXT[lang].items()}
        e = html.escape
        body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(text["title"])}</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f3f4;color:#202124}}
main{{max-width:440px;margin:48px auto;padding:32px;background:#fff;border:1px solid #dadce0;border-radius:8px}}
h1{{font-size:22px;font-weight:500;margin:0 0 8px}} p,li{{font-size:15px;line-height:1.5}}
.account{{padding:8px 12px;border:1px solid #dadce0;border-radius:16px;display:inline-block;overflow-wrap:anywhere}}
.actions{{display:flex;gap:12px;justify-content:flex-end;margin-top:24px;flex-wrap:wrap}}
button{{font-size:15px;padding:10px 24px;border-radius:4px;cursor:pointer;border:1px solid #dadce0;background:#fff}}
button.allow{{background:#1a73e8;color:#fff;border-color:#1a73e8}} .note{{color:#5f6368;font-size:13px}}
@media (max-width:480px){{main{{margin:0;border:0;border-radius:0;padding:24px 16px}}}}
</style></head>
<body><main>
<h1>{e(text["title"])}</h1>
<p>{e(text["asks"])}</p>
<p>{e(text["account"])} <span class="account">{e(self.account)}</span></p>
<p>{e(text["scopes"])}</p>
<ul><li>{e(text["scope_calendar"])}</li><li>{e(text["scope_profile"])}</li></ul>
<form method="post" action="{e(action)}">
<input type="hidden" name="request" value="{e(request_id)}">
<div class="actions">
<button type="submit" name="decision" value="deny">{e(text["deny"])}</button>
<button type="submit" name="decision" value="allow" class="allow">{e(text["allow"])}</button>
</div></form>
<p class="note">{e(text["sandbox"])}</p>
</main></body></html>"""
        return HTMLResponse(body, headers={"Cache-Control": "no-store", "Content-Security-Policy": _PAGE_POLICY})

    def _error_page(self, lang: str, error: str, description: str) -> HTMLResponse:
        e = html.escape
        title = _PAGE_TEXT[lang]["error_title"]
        body = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title></head>'
            f"<body><main><h1>{e(title)}</h1><p>Error 400: {e(error)}</p><p>{e(description)}</p></main></body></html>"
        )
        return HTMLResponse(body, status_code=400)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _language(value: str) -> str:
    return "fr" if value.lower().startswith("fr") else "en"


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(uri + separator + urlencode({k: v for k, v in params.items() if v}), status_code=302)


def _client_credentials(request: Request, form) -> tuple[str, str]:
    """client_secret_post (form fields) or client_secret_basic (HTTP Basic), as both providers accept."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return "", ""
        from urllib.parse import unquote_plus

        return unquote_plus(client_id), unquote_plus(client_secret)
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
