"""/api/v1/team, /api/v1/orgs and /api/v1/api-keys: members, invitations, organisations, audit log, API keys.

The organisation is always the caller's current one (from their session or key), never an id from the request.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import PrincipalDep, UserDep, client_ip, client_user_agent
from ava_app.api.deps import RowId, SessionDep
from ava_app.models import DB_INT_MAX, ROLES
from ava_app.services import api_keys, audit, team
from ava_app.services.accounts import AuthResult
from ava_app.services.api_keys import ApiKeyCreated, ApiKeyOut
from ava_app.services.audit import AuditEntry
from ava_app.services.principal import Principal
from ava_app.services.team import InviteOut, InvitePreview, MemberOut, OrganisationOut

router = APIRouter(tags=["team"])


class RoleIn(BaseModel):
    role: str = Field(max_length=10, description=" | ".join(ROLES))


class InviteIn(BaseModel):
    email: str = Field(max_length=320)
    role: str = Field(default="user", max_length=10)


class InviteTokenIn(BaseModel):
    token: str = Field(max_length=200)


class InviteSignupIn(BaseModel):
    token: str = Field(max_length=200)
    name: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class OrganisationIn(BaseModel):
    name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=40)


class ApiKeyIn(BaseModel):
    name: str = Field(max_length=80)
    role: str | None = Field(default=None, max_length=10, description="admin | user | viewer; default: from scopes")
    scopes: list[str] | None = Field(
        default=None,
        max_length=10,
        description="Any of " + ", ".join(api_keys.SCOPES) + "; default: the role's (a user key's without a role).",
    )
    expires_in_days: int | None = Field(
        default=None, ge=1, le=api_keys.MAX_EXPIRY_DAYS, description="Days the key lives; omitted: never expires."
    )


class CurrentOrganisationOut(BaseModel):
    """The caller's current organisation after a switch, join or leave (None when there is none)."""

    tenant_id: int | None
    role: str | None


def _current(principal: Principal) -> CurrentOrganisationOut:
    return CurrentOrganisationOut(tenant_id=principal.tenant_id, role=principal.role)


# --- team ---------------------------------------------------------------------------------------------------


@router.get("/team/members")
def list_members(principal: PrincipalDep, session: SessionDep) -> list[MemberOut]:
    """The members of the current organisation."""
    return team.list_members(session, principal=principal)


@router.patch("/team/members/{user_id}")
def change_role(
    principal: UserDep,
    session: SessionDep,
    user_id: RowId,
    body: RoleIn,
    request: Request,
) -> MemberOut:
    """Change a member's role (admins)."""
    return team.change_role(session, principal=principal, user_id=user_id, role=body.role, ip=client_ip(request))


@router.delete("/team/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(
    principal: UserDep,
    session: SessionDep,
    user_id: RowId,
    request: Request,
) -> Response:
    """Remove a member (admins)."""
    team.remove_member(session, principal=principal, user_id=user_id, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/team/leave")
def leave(request: Request, principal: UserDep, session: SessionDep) -> CurrentOrganisationOut:
    """Leave the current organisation."""
    return _current(team.leave_organisation(session, principal=principal, ip=client_ip(request)))


@router.post("/team/invites", status_code=status.HTTP_201_CREATED)
def invite(
    principal: UserDep,
    session: SessionDep,
    body: InviteIn,
    request: Request,
) -> InviteOut:
    """Invite someone by email with a role (admins)."""
    return team.invite_member(session, principal=principal, email=body.email, role=body.role, ip=client_ip(request))


@router.get("/team/invites")
def list_invites(principal: UserDep, session: SessionDep) -> list[InviteOut]:
    """The invitations of the current organisation (admins)."""
    return team.list_invites(session, principal=principal)


@router.delete("/team/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_invite(
    principal: UserDep,
    session: SessionDep,
    invite_id: RowId,
    request: Request,
) -> Response:
    """Cancel a pending invitation (admins)."""
    team.revoke_invite(session, principal=principal, invite_id=invite_id, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/team/invites/preview")
def preview_invite(body: InviteTokenIn, session: SessionDep) -> InvitePreview:
    """What an invitation offers (no login needed: the token is the credential)."""
    return team.preview_invite(session, token=body.token)


@router.post("/team/invites/accept")
def accept_invite(
    principal: UserDep,
    session: SessionDep,
    body: InviteTokenIn,
    request: Request,
) -> CurrentOrganisationOut:
    """Accept an invitation as the logged-in user and switch to that organisation."""
    return _current(team.accept_invite(session, principal=principal, token=body.token, ip=client_ip(request)))


@router.post("/team/invites/accept-signup", status_code=status.HTTP_201_CREATED)
def accept_invite_with_signup(body: InviteSignupIn, request: Request, session: SessionDep) -> AuthResult:
    """Create the invited person's account (or take over one never verified), join the organisation and log in."""
    return team.accept_invite_with_signup(
        session,
        token=body.token,
        name=body.name,
        password=body.password,
        ip=client_ip(request),
        user_agent=client_user_agent(request),
    )


# --- organisations ------------------------------------------------------------------------------------------


@router.get("/orgs")
def list_organisations(principal: UserDep, session: SessionDep) -> list[OrganisationOut]:
    """The organisations the user belongs to."""
    return team.list_organisations(session, principal=principal)


@router.post("/orgs", status_code=status.HTTP_201_CREATED)
def create_organisation(
    principal: UserDep,
    session: SessionDep,
    body: OrganisationIn,
    request: Request,
) -> CurrentOrganisationOut:
    """Create another organisation (as its admin) and switch to it."""
    return _current(
        team.create_organisation(
            session, principal=principal, name=body.name, industry=body.industry, ip=client_ip(request)
        )
    )


@router.post("/orgs/{tenant_id}/switch")
def switch_organisation(tenant_id: RowId, principal: UserDep, session: SessionDep) -> CurrentOrganisationOut:
    """Make another of the user's organisations the current one for this session."""
    return _current(team.switch_organisation(session, principal=principal, tenant_id=tenant_id))


@router.get("/orgs/current/audit")
def list_audit(
    principal: PrincipalDep,
    session: SessionDep,
    limit: int = Query(default=50, ge=1, le=200),
    offset: int = Query(default=0, ge=0, le=DB_INT_MAX),
    action: str | None = Query(default=None, max_length=40),
) -> list[AuditEntry]:
    """The audit log of the current organisation (admins)."""
    return audit.list_audit(session, principal=principal, limit=limit, offset=offset, action=action)


# --- API keys -----------------------------------------------------------------------------------------------


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
def create_api_key(
    principal: UserDep,
    session: SessionDep,
    body: ApiKeyIn,
    request: Request,
) -> ApiKeyCreated:
    """Create an API key; the key is in this response only."""
    return api_keys.create_api_key(
        session,
        principal=principal,
        name=body.name,
        role=body.role,
        scopes=body.scopes,
        expires_in_days=body.expires_in_days,
        ip=client_ip(request),
    )


@router.get("/api-keys")
def list_api_keys(principal: UserDep, session: SessionDep) -> list[ApiKeyOut]:
    """The organisation's API keys (prefix only)."""
    return api_keys.list_api_keys(session, principal=principal)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(
    principal: UserDep,
    session: SessionDep,
    key_id: RowId,
    request: Request,
) -> Response:
    """Revoke an API key."""
    api_keys.revoke_api_key(session, principal=principal, key_id=key_id, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
