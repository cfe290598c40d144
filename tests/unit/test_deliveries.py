"""The deliveries log: what AVA sent for a business (emails, texts, webhooks) from the real flows, with what each was
for and its call; filters, paging, "Send again" (admins), the dashboard's failure count, account emails never
listed, another organisation's rows never seen, and finished webhook deliveries purged with the raw messages."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from ava_app.models import (
    Booking,
    BookingService,
    BookingStaff,
    CrmConnection,
    CrmSyncedBooking,
    CrmSyncedCall,
    Outbox,
    WebhookDelivery,
    utcnow,
)
from ava_app.services import deliveries, post_call, retention, webhooks_out
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.messaging import account_emails
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user
from tests.unit.test_member_alerts import bakery, choose, principal
from tests.unit.test_sms import emulator

__all__ = ["bakery", "emulator"]


@pytest.fixture()
def hooks(monkeypatch):
    """Webhook receivers answer from a list (200 once it is used up)."""
    answers: list[int] = []

    def answer(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(answers.pop(0) if answers else 200, text="no")

    monkeypatch.setattr(webhooks_out, "transport_override", lambda: httpx.MockTransport(answer))
    return answers


def test_a_summarised_call_lists_its_email_text_and_webhook_with_its_call(db, bakery, hooks, jobs, smtp_env):
    tenant, owner, _viewer = bakery
    admin = principal(owner, tenant, "admin")
    choose(db, owner, tenant, "admin", "every")
    webhooks_out.create_endpoint(
        db, principal=admin, url="https://hooks.example.com/ava", description="Our CRM", event_types=["call.summarized"]
    )
    account_emails.send_account_email(
        db, kind="password_changed", to=owner.email, tenant_id=tenant.id, name="Owner", link="https://ava.test/reset"
    )
    call = make_call(db, tenant=tenant, transcript="User: Do you deliver?\nAI: Yes, within the city.")
    post_call.process_call(db, call_id=call.id)

    rows = deliveries.list_deliveries(db, principal=admin)
    assert {(row.channel, row.purpose) for row in rows} == {
        ("email", "summary"),
        ("sms", "alert"),
        ("webhook", "call.summarized"),
    }  # the password notice is the owner's own, never listed
    assert all(row.call_id == call.id and row.status == "sent" for row in rows)
    (hook,) = [row for row in rows if row.channel == "webhook"]
    assert hook.to == "Our CRM" and hook.can_retry
    assert [row.channel for row in deliveries.list_deliveries(db, principal=admin, call_id=call.id)].count("sms") == 1
    assert [row.purpose for row in deliveries.list_deliveries(db, principal=admin, channel="sms")] == ["alert"]
    assert deliveries.list_deliveries(db, principal=admin, status="failed") == []
    assert deliveries.recent_failures(db, principal=admin) == 0


def test_failures_are_counted_shown_and_sent_again_by_admins_only(db, bakery, hooks, jobs, smtp_env):
    tenant, owner, viewer = bakery
    admin = principal(owner, tenant, "admin")
    endpoint = webhooks_out.create_endpoint(
        db, principal=admin, url="https://hooks.example.com/ava", event_types=["test.ping"]
    )
    hooks.extend([410])  # the receiver says it is gone: failed at once, endpoint off
    webhooks_out.send_test_event(db, principal=admin, endpoint_id=endpoint.endpoint.id)
    failed_mail = Outbox(
        tenant_id=tenant.id, channel="email", to="owner@corner.test", subject="Summary", body_text="Hi",
        status="failed", purpose="summary", last_error="550 mailbox unavailable",
    )  # fmt: skip
    old_failure = Outbox(
        tenant_id=tenant.id, channel="email", to="owner@corner.test", body_text="Old", status="failed",
        purpose="digest", created_at=utcnow() - timedelta(days=8),
    )  # fmt: skip
    db.add_all([failed_mail, old_failure])
    db.commit()

    failed = deliveries.list_deliveries(db, principal=admin, status="failed")
    assert [row.ref for row in failed][:2] == [f"outbox:{failed_mail.id}", failed[1].ref]
    assert {row.channel for row in failed} == {"email", "webhook"}
    assert failed[0].last_error == "550 mailbox unavailable" and failed[0].can_retry
    assert deliveries.recent_failures(db, principal=admin) == 2  # the 8-day-old one is past the dashboard's week

    with pytest.raises(Forbidden):
        deliveries.retry(db, principal=principal(viewer, tenant, "viewer"), ref=f"outbox:{failed_mail.id}")
    again = deliveries.retry(db, principal=admin, ref=f"outbox:{failed_mail.id}")
    assert again.status == "sent" and again.attempts == 1  # the jobs run at once: the sandbox mailer took it
    with pytest.raises(Invalid):
        deliveries.retry(db, principal=admin, ref=f"outbox:{failed_mail.id}")  # only a failed one goes again
    (hook,) = [row for row in failed if row.channel == "webhook"]
    with pytest.raises(Invalid):
        deliveries.retry(db, principal=admin, ref=hook.ref)  # its endpoint was turned off by the 410
    for ref in ("outbox:999999", "webhook:999999", "nonsense", "outbox:-1"):
        with pytest.raises(NotFound):
            deliveries.retry(db, principal=admin, ref=ref)


def test_another_organisations_messages_are_never_seen_or_sent(db, bakery, jobs, smtp_env):
    tenant, owner, _viewer = bakery
    other = make_tenant(db, name="Other Shop")
    stranger = make_user(db, tenant=other, role="admin")
    theirs = Outbox(
        tenant_id=tenant.id, channel="email", to="owner@corner.test", body_text="Corner", status="failed",
        purpose="summary",
    )  # fmt: skip
    db.add(theirs)
    db.commit()
    outsider = Principal(user_id=stranger.id, tenant_id=other.id, role="admin")
    assert deliveries.list_deliveries(db, principal=outsider) == []
    assert deliveries.recent_failures(db, principal=outsider) == 0
    with pytest.raises(NotFound):
        deliveries.retry(db, principal=outsider, ref=f"outbox:{theirs.id}")
    db.refresh(theirs)
    assert theirs.status == "failed"


def test_pages_go_back_in_time_without_repeating_a_row(db, bakery):
    tenant, owner, _viewer = bakery
    start = utcnow() - timedelta(hours=5)
    db.add_all(
        [
            Outbox(
                tenant_id=tenant.id, channel="email", to="owner@corner.test", body_text=f"n{index}", status="sent",
                purpose="summary", created_at=start + timedelta(minutes=index),
            )
            for index in range(7)
        ]
    )  # fmt: skip
    db.commit()
    admin = principal(owner, tenant, "admin")
    first = deliveries.list_deliveries(db, principal=admin, limit=4)
    rest = deliveries.list_deliveries(db, principal=admin, limit=4, before=first[-1].created_at)
    assert [row.subject for row in first + rest] == [f"n{index}" for index in range(6, -1, -1)]
    with pytest.raises(Invalid):
        deliveries.list_deliveries(db, principal=admin, channel="fax")


def test_finished_webhook_deliveries_go_with_the_raw_messages(db, bakery, hooks, jobs):
    tenant, owner, _viewer = bakery
    admin = principal(owner, tenant, "admin")
    endpoint = webhooks_out.create_endpoint(
        db, principal=admin, url="https://hooks.example.com/ava", event_types=["test.ping"]
    )
    for _ in range(3):
        webhooks_out.send_test_event(db, principal=admin, endpoint_id=endpoint.endpoint.id)
    rows = db.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    old = utcnow() - timedelta(days=31)
    rows[0].created_at = rows[1].created_at = old
    rows[1].status = "pending"  # still being retried: kept until it ends
    db.add_all(rows)
    db.commit()
    report = retention.purge_due(db)
    assert report.webhook_deliveries[tenant.id] == 1
    db.expire_all()
    assert [row.id for row in db.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()] == [
        rows[1].id,
        rows[2].id,
    ]


def test_a_failed_crm_sync_is_listed_and_queued_again_by_an_admin(db, bakery, jobs, monkeypatch):
    tenant, owner, viewer = bakery
    admin = principal(owner, tenant, "admin")
    call = make_call(db, tenant=tenant)
    connection = CrmConnection(
        tenant_id=tenant.id, provider="hubspot", auth_kind="token", account="Portal 4411", access_token_encrypted="x"
    )
    db.add(connection)
    db.commit()
    synced = CrmSyncedCall(
        tenant_id=tenant.id, connection_id=connection.id, call_id=call.id, status="failed", attempts=5,
        last_error="400 Property values were not valid",
    )  # fmt: skip
    db.add(synced)
    db.commit()
    queued: list[int] = []
    monkeypatch.setattr(deliveries, "enqueue", lambda name, *args: queued.append((name, *args)))

    (row,) = deliveries.list_deliveries(db, principal=admin, channel="crm")
    assert (row.ref, row.purpose, row.to, row.status) == (
        f"crm:{synced.id}",
        "crm_call",
        "HubSpot · Portal 4411",
        "failed",
    )
    assert row.call_id == call.id and row.last_error.startswith("400")
    assert deliveries.recent_failures(db, principal=admin) == 1
    with pytest.raises(Forbidden):
        deliveries.retry(db, principal=principal(viewer, tenant, "viewer"), ref=row.ref)
    again = deliveries.retry(db, principal=admin, ref=row.ref)
    assert again.status == "waiting" and again.attempts == 5  # kept: the job looks up what it may have made
    assert queued == [("sync_call_to_crm", call.id)]
    with pytest.raises(Invalid):
        deliveries.retry(db, principal=admin, ref=row.ref)


def _hubspot(db, tenant, *, status: str = "connected") -> CrmConnection:
    connection = CrmConnection(
        tenant_id=tenant.id, provider="hubspot", auth_kind="token", account="Portal 4411", access_token_encrypted="x",
        status=status,
    )  # fmt: skip
    db.add(connection)
    db.commit()
    return connection


def test_a_call_held_by_a_broken_crm_connection_reads_failed_until_a_reconnect(db, bakery, jobs):
    tenant, owner, _viewer = bakery
    admin = principal(owner, tenant, "admin")
    connection = _hubspot(db, tenant, status="broken")
    call = make_call(db, tenant=tenant)
    # The token was revoked under the job: the sync waits, pending, for someone to reconnect.
    db.add(
        CrmSyncedCall(
            tenant_id=tenant.id, connection_id=connection.id, call_id=call.id, status="pending", attempts=1,
            last_error=deliveries.CONNECTION_BROKEN,
        )
    )  # fmt: skip
    db.commit()

    (row,) = deliveries.list_deliveries(db, principal=admin, channel="crm")
    assert (row.status, row.can_retry) == ("failed", False)  # reconnecting sends it, not "Send again"
    assert deliveries.recent_failures(db, principal=admin) == 1
    assert [r.ref for r in deliveries.list_deliveries(db, principal=admin, status="failed")] == [row.ref]
    assert deliveries.list_deliveries(db, principal=admin, status="waiting") == []
    with pytest.raises(Invalid):
        deliveries.retry(db, principal=admin, ref=row.ref)


def test_bookings_written_to_the_crm_are_listed_with_their_call_and_sent_again(db, bakery, jobs, monkeypatch):
    tenant, owner, viewer = bakery
    admin = principal(owner, tenant, "admin")
    connection = _hubspot(db, tenant)
    call = make_call(db, tenant=tenant)
    service = BookingService(tenant_id=tenant.id, name="Birthday cake tasting")
    staff = BookingStaff(tenant_id=tenant.id, name="Marie")
    db.add_all([service, staff])
    db.commit()
    start = utcnow() + timedelta(days=2)
    booked = [
        Booking(
            tenant_id=tenant.id, service_id=service.id, staff_id=staff.id, start_at=start + timedelta(hours=hour),
            end_at=start + timedelta(hours=hour, minutes=30), busy_until=start + timedelta(hours=hour, minutes=30),
            caller_phone="+33612345678", call_id=call.id if hour == 0 else None,
        )
        for hour in (0, 1)
    ]  # fmt: skip
    db.add_all(booked)
    db.commit()
    written = CrmSyncedBooking(
        tenant_id=tenant.id, connection_id=connection.id, booking_id=booked[0].id, meeting_id="m-1", attempts=1
    )
    refused = CrmSyncedBooking(
        tenant_id=tenant.id, connection_id=connection.id, booking_id=booked[1].id, attempts=1,
        last_error="400 Property values were not valid",
    )  # fmt: skip
    db.add_all([written, refused])
    db.commit()
    queued: list[tuple] = []
    monkeypatch.setattr(deliveries, "enqueue", lambda name, *args: queued.append((name, *args)))

    rows = deliveries.list_deliveries(db, principal=admin, channel="crm")
    assert {(row.ref, row.purpose, row.status, row.call_id) for row in rows} == {
        (f"crm-booking:{written.id}", "crm_booking", "sent", call.id),
        (f"crm-booking:{refused.id}", "crm_booking", "failed", None),
    }
    # The call's page lists what was sent for it, the booking's meeting included.
    assert [row.ref for row in deliveries.list_deliveries(db, principal=admin, call_id=call.id)] == [
        f"crm-booking:{written.id}"
    ]
    assert deliveries.recent_failures(db, principal=admin) == 1
    with pytest.raises(Forbidden):
        deliveries.retry(db, principal=principal(viewer, tenant, "viewer"), ref=f"crm-booking:{refused.id}")
    with pytest.raises(Invalid):
        deliveries.retry(db, principal=admin, ref=f"crm-booking:{written.id}")
    again = deliveries.retry(db, principal=admin, ref=f"crm-booking:{refused.id}")
    assert again.status == "waiting" and queued == [("sync_booking_to_crm", booked[1].id)]
    # Another organisation's admin finds nothing to send again.
    other = make_tenant(db)
    stranger = principal(make_user(db, tenant=other, role="admin"), other, "admin")
    with pytest.raises(NotFound):
        deliveries.retry(db, principal=stranger, ref=f"crm-booking:{refused.id}")
    assert deliveries.list_deliveries(db, principal=stranger, channel="crm") == []
