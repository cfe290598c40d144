"""The audit log: security-relevant events per organisation, readable by its admins."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import AuditLog, User
from ava_app.services.principal import Principal

ACTIONS = (
    "signup",
    "login_succeeded",
    "login_failed",
    "logout",
    "magic_link_used",
    "sms_verified",
    "email_verified",
    "password_changed",
    "password_reset",
    "session_revoked",
    "refresh_reused",
    "role_changed",
    "member_removed",
    "member_left",
    "invite_sent",
    "invite_revoked",
    "invite_accepted",
    "org_created",
    "api_key_created",
    "api_key_revoked",
    "credential_saved",
    "credential_removed",
    "platform_admin_granted",
    "platform_admin_revoked",
    "phone_verified",
    "phone_removed",
    "webhook_secret_rotated",
    "integration_tested",
    "business_region_changed",
    "calendar_connected",
    "calendar_disconnected",
    "calendar_broken",
    "crm_connected",
    "crm_disconnected",
    "crm_broken",
    "privacy_redaction_changed",
    "privacy_redaction_applied",
    "text_back_changed",
    "retention_changed",
    "retention_purged",
    "caller_erased",
    "calls_deleted",
    "call_restored",
    "deleted_calls_purged",
    "deleted_calls_grace_changed",
    "data_export_requested",
    "data_export_downloaded",
    "org_deletion_requested",
    "org_deletion_cancelled",
    "account_deleted",
    "webhook_endpoint_created",
    "webhook_endpoint_updated",
    "webhook_endpoint_deleted",
    "webhook_endpoint_disabled",
    "webhook_endpoint_secret_rotated",
    "caller_blocked",
    "caller_unblocked",
    "withheld_blocking_changed",
    "identity_linked",
    "identity_unlinked",
    "tenant_suspended",
    "tenant_resumed",
    "tenant_plan_changed",
    "support_viewed",
    "forwarding_check_started",
    "forwarding_confirmed",
)


class AuditEntry(BaseModel):
    """One audit line as shown to admins."""

    id: int
    action: str
    user_id: int | None
    user_email: str | None
    detail: dict
    ip: str
    created_at: datetime


def record(
    session: Session,
    *,
    action: str,
    tenant_id: int | None,
    user_id: int | None = None,
    ip: str = "",
    detail: dict | None = None,
) -> None:
    """Add an audit line to the session; it is committed with the change it describes (never on its own)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditLog(action=action, tenant_id=tenant_id, user_id=user_id, ip=ip[:64], detail=detail or {}))


def _with_member_email(detail: dict, emails: dict[int | None, str]) -> dict:
    member = detail.get("member_id")
    return {**detail, "member": emails[member]} if member in emails else detail


def list_audit(
    session: Session, *, principal: Principal, limit: int = 50, offset: int = 0, action: str | None = None
) -> list[AuditEntry]:
    """The organisation's audit lines, newest first (admins only; the tenant comes from the principal)."""
    tenant_id = principal.require_admin()
    query = (
        select(AuditLog, User.email)
        .join(User, col(User.id) == col(AuditLog.user_id), isouter=True)
        .where(AuditLog.tenant_id == tenant_id)
        .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        .offset(max(offset, 0))
        .limit(min(max(limit, 1), 200))
    )
    if action:
        query = query.where(AuditLog.action == action)
    rows = list(session.exec(query))
    # A role change or removal names the member by id; admins read the email (of a user of this organisation's log).
    member_ids = {
        (row.detail or {})["member_id"] for row, _ in rows if isinstance((row.detail or {}).get("member_id"), int)
    }
    emails = (
        dict(session.exec(select(User.id, User.email).where(col(User.id).in_(member_ids))).all()) if member_ids else {}
    )
    return [
        AuditEntry(
            id=row.id,
            action=row.action,
            user_id=row.user_id,
            user_email=email,
            detail=_with_member_email(row.detail or {}, emails),
            ip=row.ip,
            created_at=row.created_at,
        )
        for row, email in rows
    ]
