"""Deleting an organisation: asked by an admin who types its name, carried out after ``GRACE`` unless cancelled.

During the grace period everything keeps working (the team can still export what it needs) and every page says when
the deletion happens. When it is due, an hourly job cancels its subscription at Stripe, releases the business's
numbers (given back to Twilio when AVA bought them), deletes its assistants and its calls at Vapi (deleted calls still
in their grace period included, and the voicemails Twilio recorded), removes AVA's recording files, then deletes the
organisation's row, which takes every row of the business with it (calls,
bookings, settings, memberships). A provider that cannot be reached leaves the organisation for the next hour.
People stay: a member of no other organisation can sign in and create a new one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from huey import crontab
from sqlalchemy import delete
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Assistant, Call, DeletedCall, PhoneNumber, Tenant, utcnow
from ava_app.services import assistants, audit, phone_numbers, recordings, trash
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.billing import subscriptions
from ava_app.services.errors import Invalid, NotFound, ProviderError
from ava_app.services.principal import Principal
from ava_app.services.retention import deleted_at_provider
from ava_app.task_queue import periodic_task

log = logging.getLogger(__name__)
GRACE = timedelta(days=7)


def deletion_due(session: Session, *, tenant_id: int) -> datetime | None:
    """When the organisation is to be deleted, or None."""
    return session.exec(select(col(Tenant.deletion_due_at)).where(col(Tenant.id) == tenant_id)).first()


def request_deletion(
    session: Session, *, principal: Principal, typed_name: str, now: datetime | None = None
) -> datetime:
    """Schedule the deletion (admins), once the organisation's name is typed exactly; returns when it happens."""
    tenant_id = principal.require_admin()
    tenant = _tenant(session, tenant_id)
    if typed_name.strip() != tenant.name.strip():
        raise Invalid("Type the organisation's name exactly as shown.", fields={"typed_name": "name_mismatch"})
    if tenant.deletion_due_at is None:
        tenant.deletion_due_at = (now or utcnow()) + GRACE
        session.add(tenant)
        audit.record(
            session,
            action="org_deletion_requested",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"due": tenant.deletion_due_at.isoformat()},
        )
        session.commit()
    assert tenant.deletion_due_at is not None
    return tenant.deletion_due_at


def cancel_deletion(session: Session, *, principal: Principal) -> None:
    """Keep the organisation after all (admins)."""
    tenant_id = principal.require_admin()
    tenant = _tenant(session, tenant_id)
    if tenant.deletion_due_at is not None:
        tenant.deletion_due_at = None
        session.add(tenant)
        audit.record(session, action="org_deletion_cancelled", tenant_id=tenant_id, user_id=principal.user_id)
        session.commit()


def delete_due_organisations(session: Session, *, now: datetime | None = None) -> list[int]:
    """Carry out every deletion that is due; returns the ids of the organisations deleted."""
    moment = now or utcnow()
    due = session.exec(
        select(col(Tenant.id)).where(col(Tenant.deletion_due_at).is_not(None), col(Tenant.deletion_due_at) <= moment)
    ).all()
    session.rollback()
    deleted = []
    for tenant_id in due:
        assert tenant_id is not None
        try:
            if _purge(session, tenant_id=tenant_id):
                deleted.append(tenant_id)
        except ProviderError as exc:
            session.rollback()
            log.warning("organisation %s not deleted yet: %s", tenant_id, exc.message)
    return deleted


@periodic_task(crontab(minute="41"))
def delete_organisations_due() -> None:
    """Every hour: delete the organisations whose grace period is over."""
    with session_scope() as session:
        deleted = delete_due_organisations(session)
    if deleted:
        log.info("deleted organisation(s) %s", deleted)


def _purge(session: Session, *, tenant_id: int) -> bool:
    """Everything of one organisation, at the providers first; False when a provider must be tried again later."""
    system = Principal(user_id=None, tenant_id=tenant_id, role="admin")
    if not subscriptions.cancel_for_deletion(session, tenant_id=tenant_id):
        return False
    live_numbers = select(col(PhoneNumber.id)).where(
        col(PhoneNumber.tenant_id) == tenant_id, col(PhoneNumber.released_at).is_(None)
    )
    for number_id in session.exec(live_numbers).all():
        assert number_id is not None
        phone_numbers.release_number(session, principal=system, number_id=number_id)
    for provider_id in session.exec(
        select(col(Assistant.provider_assistant_id)).where(
            col(Assistant.tenant_id) == tenant_id, col(Assistant.provider_assistant_id).is_not(None)
        )
    ).all():
        try:
            client = assistants.vapi_client(session, tenant_id=tenant_id)
            run_coroutine_sync(client.delete_assistant(assistant_id=str(provider_id)))
        except NotFound:
            pass
    provider_calls: list[tuple[str, str | None, int | None]] = [
        (row[0], row[1], row[2])
        for row in session.exec(
            select(col(Call.provider_call_id), col(Call.recording_url), col(Call.phone_number_id)).where(
                col(Call.tenant_id) == tenant_id
            )
        ).all()
    ]
    snapshots = session.exec(select(col(DeletedCall.snapshot)).where(col(DeletedCall.tenant_id) == tenant_id)).all()
    for snapshot in snapshots:
        call = trash.trashed_call(snapshot)
        provider_calls.append(
            (call.get("provider_call_id") or "", call.get("recording_url"), call.get("phone_number_id"))
        )
    session.rollback()
    if not all(
        deleted_at_provider(
            session, tenant_id=tenant_id, provider_call_id=call, recording_url=url, phone_number_id=number
        )
        for call, url, number in provider_calls
    ):
        return False
    call_ids = [call_id for call_id in session.exec(select(col(Call.id)).where(col(Call.tenant_id) == tenant_id)).all()]
    keys = recordings.detach_recordings(session, tenant_id=tenant_id, call_ids=[i for i in call_ids if i is not None])
    # The trash goes with the organisation (its rows would cascade too; the files are looked up once they are gone).
    keys += [key for snapshot in snapshots if (key := trash.trashed_storage_key(snapshot))]
    session.exec(delete(DeletedCall).where(col(DeletedCall.tenant_id) == tenant_id))
    session.exec(delete(Tenant).where(col(Tenant.id) == tenant_id))
    session.commit()
    recordings.delete_unreferenced(session, keys=keys)
    log.info("organisation %s deleted (%d calls)", tenant_id, len(call_ids))
    return True


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant
