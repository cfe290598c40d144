"""/api/v1/auth: signup, login (password, magic link, SMS), tokens, email verification, passwords, sessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import SecurityScopes
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import (
    BearerCredentials,
    SmsVerifierDep,
    UserDep,
    client_ip,
    client_user_agent,
    current_principal,
)
from ava_app.api.deps import RowId, SessionDep
from ava_app.services import accounts
from ava_app.services.accounts import AuthResult, MeOut, SessionOut
from ava_app.services.errors import DomainError
from ava_app.services.principal import Principal

router = APIRouter(prefix="/auth", tags=["auth"])

# Generous caps: the services enforce the real rules; these only stop absurd payloads before argon2 sees them.
Email = Field(max_length=320)
Password = Field(max_length=1024)
Token = Field(max_length=200)


class SignupIn(BaseModel):
    name: str = Field(max_length=200)
    email: str = Email
    password: str = Password
    organisation_name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=40)
    locale: str = Field(
        default="en", max_length=35, description='Language or browser tag ("fr", "fr-FR"): the business language.'
    )
    timezone: str | None = Field(
        default=None, max_length=64, description='IANA zone of the business ("Europe/Paris"); guessed when absent.'
    )
    country: str | None = Field(
        default=None, max_length=2, description="ISO 3166 country of the business; from the zone when absent."
    )


class LoginIn(BaseModel):
    email: str = Email
    password: str = Password


class RefreshIn(BaseModel):
    refresh_token: str = Token


class EmailIn(BaseModel):
    email: str = Email


class TokenIn(BaseModel):
    token: str = Token


# A number in E.164, or as typed in the country of the organisation ("06 12 34 56 78" for a French business).
PhoneField = Field(
    max_length=32,
    description="E.164 (+33612345678), or a national number of the organisation's country (06 12 34 56 78).",
)
# The SMS login has no organisation: a national number needs the country it was typed in.
LoginCountry = Field(
    default=None,
    max_length=2,
    description="ISO country a national number is read in (say the browser's); without it, send E.164.",
)


class PhoneIn(BaseModel):
    phone: str = PhoneField


class SmsSendIn(BaseModel):
    phone: str = PhoneField
    country: str | None = LoginCountry


class SmsVerifyIn(BaseModel):
    phone: str = PhoneField
    code: str = Field(max_length=12)
    country: str | None = LoginCountry


class PhoneCodeIn(BaseModel):
    phone: str = PhoneField
    code: str = Field(max_length=12, description="The code texted to it.")


class ResetPasswordIn(BaseModel):
    token: str = Token
    new_password: str = Password


class ChangePasswordIn(BaseModel):
    current_password: str = Field(default="", max_length=1024)
    new_password: str = Password


class ProfileIn(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=8)
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="An empty string removes the SMS-login number; a new one is confirmed through /auth/me/phone.",
    )


class MessageOut(BaseModel):
    message: str


@router.post("/signup", status_code=status.HTTP_201_CREATED)
def signup(body: SignupIn, request: Request, session: SessionDep) -> AuthResult:
    """Create an account and its organisation; the account works at once, a verification email is sent."""
    return accounts.signup(session, **body.model_dump(), ip=client_ip(request), user_agent=client_user_agent(request))


@router.post("/login")
def login(body: LoginIn, request: Request, session: SessionDep) -> AuthResult:
    """Log in with email and password."""
    return accounts.login(
        session,
        email=body.email,
        password=body.password,
        ip=client_ip(request),
        user_agent=client_user_agent(request),
    )


@router.post("/refresh")
def refresh(body: RefreshIn, request: Request, session: SessionDep) -> AuthResult:
    """Exchange a refresh token for a new pair; a reused refresh token ends the session."""
    return accounts.refresh_tokens(
        session, refresh_token=body.refresh_token, ip=client_ip(request), user_agent=client_user_agent(request)
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, principal: UserDep, session: SessionDep) -> Response:
    """End the current session."""
    accounts.logout(session, principal=principal, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
def me(principal: UserDep, session: SessionDep) -> MeOut:
    """The logged-in user and their current organisation."""
    return accounts.get_me(session, principal=principal)


@router.patch("/me")
def update_me(body: ProfileIn, principal: UserDep, session: SessionDep) -> MeOut:
    """Change the display name or language, or remove the phone number used for SMS login."""
    return accounts.update_profile(session, principal=principal, name=body.name, locale=body.locale, phone=body.phone)


@router.post("/me/phone/send-code", status_code=status.HTTP_202_ACCEPTED)
def send_phone_code(
    principal: UserDep,
    session: SessionDep,
    verifier: SmsVerifierDep,
    body: PhoneIn,
    request: Request,
) -> MessageOut:
    """Text a code to a new SMS-login number; the number is saved once the code comes back (429 past the caps)."""
    accounts.send_phone_code(session, principal=principal, phone=body.phone, verifier=verifier, ip=client_ip(request))
    return MessageOut(message="We texted a code to this number.")


@router.post("/me/phone/confirm")
def confirm_phone(
    principal: UserDep,
    session: SessionDep,
    verifier: SmsVerifierDep,
    body: PhoneCodeIn,
    request: Request,
) -> MeOut:
    """Save the number as confirmed with the code texted to it (409 when another account confirmed it first)."""
    return accounts.confirm_phone(
        session, principal=principal, phone=body.phone, code=body.code, verifier=verifier, ip=client_ip(request)
    )


@router.post("/magic-link/send", status_code=status.HTTP_202_ACCEPTED)
def send_magic_link(body: EmailIn, request: Request, session: SessionDep) -> MessageOut:
    """Email a login link; the answer is the same whether or not the account exists."""
    accounts.send_magic_link(session, email=body.email, ip=client_ip(request))
    return MessageOut(message=accounts.SENT_MESSAGE)


@router.post("/magic-link/verify")
def verify_magic_link(body: TokenIn, request: Request, session: SessionDep) -> AuthResult:
    """Log in with the token from a magic link."""
    return accounts.login_with_magic_link(
        session, token=body.token, ip=client_ip(request), user_agent=client_user_agent(request)
    )


@router.post("/sms/send", status_code=status.HTTP_202_ACCEPTED)
def send_sms_code(
    session: SessionDep,
    verifier: SmsVerifierDep,
    body: SmsSendIn,
    request: Request,
) -> MessageOut:
    """Text a login code to the number on a profile; the answer is the same whether or not it exists."""
    accounts.send_sms_code(session, phone=body.phone, verifier=verifier, ip=client_ip(request), country=body.country)
    return MessageOut(message=accounts.SMS_SENT_MESSAGE)


@router.post("/sms/verify")
def verify_sms_code(
    session: SessionDep,
    verifier: SmsVerifierDep,
    body: SmsVerifyIn,
    request: Request,
) -> AuthResult:
    """Log in with the SMS code."""
    return accounts.login_with_sms_code(
        session,
        phone=body.phone,
        code=body.code,
        verifier=verifier,
        ip=client_ip(request),
        user_agent=client_user_agent(request),
        country=body.country,
    )


def optional_user(
    credentials: BearerCredentials,
    session: SessionDep,
) -> Principal | None:
    """The logged-in person when a valid access token is sent, else None (for routes that work either way)."""
    if credentials is None:
        return None
    try:
        principal = current_principal(SecurityScopes(), credentials, session)
    except DomainError:
        return None
    return None if principal.is_api_key else principal


@router.post("/verify-email")
def verify_email(
    session: SessionDep,
    body: TokenIn,
    request: Request,
    principal: Principal | None = Depends(optional_user),
) -> MessageOut:
    """Confirm the email address with the token from the verification email.

    Sent with the access token of the account that signed up, the password and that session stay. Otherwise the
    password chosen before the address was proven, and every session, end: the owner logs in by email link.
    """
    kept = accounts.verify_email(session, token=body.token, principal=principal, ip=client_ip(request))
    if kept:
        return MessageOut(message="Your email address is confirmed.")
    return MessageOut(message=accounts.PASSWORD_REMOVED_MESSAGE)


@router.post("/verify-email/resend", status_code=status.HTTP_202_ACCEPTED)
def resend_verification(principal: UserDep, session: SessionDep) -> MessageOut:
    """Send the verification email again."""
    accounts.resend_email_verification(session, principal=principal)
    return MessageOut(message="If your email is not confirmed yet, we sent a new link.")


@router.post("/forgot-password", status_code=status.HTTP_202_ACCEPTED)
def forgot_password(body: EmailIn, request: Request, session: SessionDep) -> MessageOut:
    """Email a password reset link; the answer is the same whether or not the account exists."""
    accounts.forgot_password(session, email=body.email, ip=client_ip(request))
    return MessageOut(message=accounts.SENT_MESSAGE)


@router.post("/reset-password")
def reset_password(body: ResetPasswordIn, request: Request, session: SessionDep) -> MessageOut:
    """Set a new password with a reset token; every session is logged out."""
    accounts.reset_password(session, token=body.token, new_password=body.new_password, ip=client_ip(request))
    return MessageOut(message="Your password was changed. Please log in.")


@router.post("/change-password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    principal: UserDep,
    session: SessionDep,
    body: ChangePasswordIn,
    request: Request,
) -> Response:
    """Change the password; the other sessions are logged out."""
    accounts.change_password(
        session,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
        ip=client_ip(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions")
def list_sessions(principal: UserDep, session: SessionDep) -> list[SessionOut]:
    """The devices where the user is logged in."""
    return accounts.list_sessions(session, principal=principal)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(
    principal: UserDep,
    session: SessionDep,
    session_id: RowId,
    request: Request,
) -> Response:
    """Log out one device."""
    accounts.revoke_session(session, principal=principal, session_id=session_id, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
