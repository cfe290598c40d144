"""HubSpot sync against the emulator served on 127.0.0.1 by a real HTTP server: the happy path (read back with the
official ``hubspot-api-client``), a retried job (one engagement), 429 with Retry-After (short: waited; long: the job
is scheduled), a timeout, a 4xx, and a revoked token (connection broken, admins emailed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from hubspot import HubSpot
from hubspot.crm.objects import PublicObjectSearchRequest
from sqlmodel import select

from ava_app.models import CrmConnection, CrmSyncedCall, Outbox, as_utc, utcnow
from ava_app.sandbox.hubspot.app import HubSpotEmulator
from ava_app.services import deliveries
from ava_app.services.crm import connections, hubspot
from ava_app.services.crm import sync as crm_sync
from ava_app.services.crm.hubspot import HubSpotEndpoints
from ava_app.services.errors import Invalid, ProviderUnavailable
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def emulator(monkeypatch) -> Iterator[HubSpotEmulator]:
    """A fresh emulator behind uvicorn, and AVA's HubSpot endpoints pointing at it."""
    target = HubSpotEmulator()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(target.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    points = HubSpotEndpoints(
        authorize_url=base + "/oauth/authorize", api_url=base, client_id="app", client_secret="secret", sandbox=True
    )
    target.register(client_id="app", client_secret="secret", redirect_uri="http://testserver/callback")
    monkeypatch.setattr(hubspot, "endpoints", lambda **_: points)
    target.base_url = base  # type: ignore[attr-defined]
    yield target
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture()
def org(db):
    tenant = make_tenant(db, name="Clinique du Parc")
    admin = make_user(db, tenant=tenant, role="admin", locale="fr")
    return tenant, Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")


def _connected(db, org, emulator) -> tuple[str, CrmConnection]:
    _, admin = org
    token = emulator.new_private_app_token()
    out = connections.connect_with_token(db, principal=admin, token=token)
    assert out.connected and out.status == "connected" and str(emulator.portal_id) in out.account
    row = db.exec(select(CrmConnection)).one()
    assert token not in (row.access_token_encrypted or "")
    return token, row


def _summarised_call(db, tenant, **fields):
    fields.setdefault("caller_number", "+33612345678")
    fields.setdefault("called_number", "+33199000011")
    return make_call(
        db,
        tenant=tenant,
        summary=fields.pop("summary", "Wants to move Tuesday's cleaning to Friday."),
        summary_status="done",
        outcome=fields.pop("outcome", "answered"),
        **fields,
    )


def _rows(db) -> list[CrmSyncedCall]:
    db.expire_all()
    return list(db.exec(select(CrmSyncedCall)).all())


def test_summarised_call_becomes_contact_call_and_task(db, org, emulator):
    tenant, _ = org
    token, _ = _connected(db, org, emulator)
    call = _summarised_call(
        db, tenant, action_needed=True, intent="Call back to confirm Friday", data_fields={"caller_name": "Léa Martin"}
    )

    [row] = crm_sync.sync_call(db, call_id=call.id)

    assert row.status == "synced" and row.contact_id and row.engagement_id and row.task_id
    # Read back with the official client: the emulator speaks the wire shapes it expects.
    official = HubSpot(access_token=token, host=emulator.base_url)
    found = official.crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "phone", "operator": "EQ", "value": "+33612345678"}]}]
        )
    )
    assert found.total == 1 and found.results[0].id == row.contact_id
    assert found.results[0].properties["firstname"] == "Léa"
    logged = official.crm.objects.basic_api.get_by_id("calls", row.engagement_id)
    props = logged.properties
    assert props["hs_call_title"] == f"Answered by AVA [AVA-{call.id}]" and props["hs_call_status"] == "COMPLETED"
    assert "Friday" in props["hs_call_body"] and f"/calls/{call.id}" in props["hs_call_body"]
    assert props["hs_call_duration"] == str(call.duration_seconds * 1000)
    assert props["hs_call_direction"] == "INBOUND" and props["hs_call_from_number"] == "+33612345678"
    [stored_call] = emulator.records("calls")
    assert stored_call["contacts"] == [row.contact_id]
    [task] = emulator.records("tasks")
    assert task["properties"]["hs_task_body"].startswith("Call back to confirm Friday")
    assert task["contacts"] == [row.contact_id]


def test_existing_contact_is_updated_not_duplicated(db, org, emulator):
    tenant, _ = org
    _connected(db, org, emulator)
    first = _summarised_call(db, tenant)
    second = _summarised_call(db, tenant, data_fields={"caller_name": "Paul"})

    crm_sync.sync_call(db, call_id=first.id)
    crm_sync.sync_call(db, call_id=second.id)

    [contact] = emulator.records("contacts")
    assert contact["properties"]["firstname"] == "Paul"
    assert len(emulator.records("calls")) == 2
    assert len({row.contact_id for row in _rows(db)}) == 1


def test_a_caller_on_a_new_number_is_found_by_the_email_they_gave(db, org, emulator):
    tenant, _ = org
    token, _ = _connected(db, org, emulator)
    first = _summarised_call(db, tenant, data_fields={"caller_name": "Léa Martin", "caller_email": "lea@example.fr"})
    # The same caller from their office line: no contact has that phone, the email finds her.
    second = _summarised_call(db, tenant, caller_number="+33140000001", data_fields={"email": "lea@example.fr"})

    crm_sync.sync_call(db, call_id=first.id)
    crm_sync.sync_call(db, call_id=second.id)

    [contact] = emulator.records("contacts")
    assert contact["properties"]["email"] == "lea@example.fr"
    assert contact["properties"]["phone"] == "+33140000001"  # what AVA learnt last
    assert len({row.contact_id for row in _rows(db)}) == 1
    official = HubSpot(access_token=token, host=emulator.base_url)
    found = official.crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ", "value": "lea@example.fr"}]}]
        )
    )
    assert found.total == 1 and found.results[0].properties["firstname"] == "Léa"


def test_retried_job_creates_one_engagement(db, org, emulator, jobs):
    tenant, _ = org
    _connected(db, org, emulator)
    call = _summarised_call(db, tenant, action_needed=True)

    crm_sync.sync_call_to_crm.call_local(call.id)
    crm_sync.sync_call_to_crm.call_local(call.id)
    assert len(emulator.records("calls")) == 1 and len(emulator.records("tasks")) == 1

    # A job that died after HubSpot created the call but before AVA stored its id: the retry finds it.
    [row] = _rows(db)
    row.engagement_id, row.task_id, row.status = None, None, "pending"
    db.add(row)
    db.commit()
    crm_sync.sync_call_to_crm.call_local(call.id)

    [again] = _rows(db)
    assert again.status == "synced" and again.attempts == 2
    assert len(emulator.records("calls")) == 1 and len(emulator.records("tasks")) == 1
    assert again.engagement_id == emulator.records("calls")[0]["id"]
    assert len(emulator.records("contacts")) == 1


def test_short_429_waits_retry_after(db, org, emulator, monkeypatch):
    tenant, _ = org
    _connected(db, org, emulator)
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(hubspot, "sleep", no_sleep)
    emulator.fail_next(status=429, retry_after=2)

    [row] = crm_sync.sync_call(db, call_id=_summarised_call(db, tenant).id)

    assert waits == [2.0] and row.status == "synced"
    assert len(emulator.records("calls")) == 1


def test_long_429_schedules_the_job_after_retry_after(db, org, emulator, monkeypatch):
    tenant, _ = org
    _connected(db, org, emulator)
    scheduled: list[tuple] = []
    monkeypatch.setattr(crm_sync.sync_call_to_crm, "schedule", lambda args, delay: scheduled.append((args, delay)))
    emulator.fail_next(status=429, retry_after=120)
    call = _summarised_call(db, tenant)

    crm_sync.sync_call_to_crm.call_local(call.id)

    assert scheduled == [((call.id,), 121)]
    [row] = _rows(db)
    assert row.status == "pending" and row.last_error == "rate_limited" and row.contact_id is None
    # The deliveries log says when it goes again: when HubSpot said.
    admin = Principal(user_id=None, tenant_id=tenant.id, role="admin")
    (logged,) = deliveries.list_deliveries(db, principal=admin, channel="crm")
    wait = (logged.next_attempt_at - utcnow()).total_seconds()
    assert logged.status == "waiting" and 110 < wait <= 121
    crm_sync.sync_call_to_crm.call_local(call.id)
    assert _rows(db)[0].status == "synced" and len(emulator.records("calls")) == 1
    assert _rows(db)[0].next_attempt_at is None
    assert deliveries.list_deliveries(db, principal=admin, channel="crm")[0].next_attempt_at is None


def test_timeout_is_retried_then_fails_on_the_last_attempt(db, org, emulator, monkeypatch):
    tenant, _ = org
    _connected(db, org, emulator)
    monkeypatch.setattr(hubspot, "TIMEOUT", httpx.Timeout(0.3))
    call = _summarised_call(db, tenant)
    emulator.hang_next(2.0)

    with pytest.raises(ProviderUnavailable):
        crm_sync.sync_call(db, call_id=call.id, final_attempt=False)
    [row] = _rows(db)
    assert row.status == "pending" and row.last_error == "crm_unavailable"

    emulator.hang_next(2.0)
    crm_sync.sync_call(db, call_id=call.id, final_attempt=True)
    [row] = _rows(db)
    assert row.status == "failed" and emulator.records("calls") == []


def test_5xx_then_success_on_retry(db, org, emulator):
    tenant, _ = org
    _connected(db, org, emulator)
    call = _summarised_call(db, tenant)
    emulator.fail_next(status=503)
    with pytest.raises(ProviderUnavailable):
        crm_sync.sync_call(db, call_id=call.id, final_attempt=False)
    [waiting] = _rows(db)
    # The queue comes back after its retry delay (10 s after the first try): the log shows about then.
    assert waiting.next_attempt_at is not None
    assert 0 < (as_utc(waiting.next_attempt_at) - utcnow()).total_seconds() <= crm_sync.RETRY_DELAY + 1
    [row] = crm_sync.sync_call(db, call_id=call.id)
    assert row.status == "synced" and len(emulator.records("calls")) == 1


@pytest.mark.parametrize("status", [400, 404, 410])
def test_4xx_fails_the_call_without_retrying(db, org, emulator, status):
    tenant, _ = org
    _connected(db, org, emulator)
    call = _summarised_call(db, tenant)
    emulator.fail_next(status=status)

    [row] = crm_sync.sync_call(db, call_id=call.id, final_attempt=False)

    assert row.status == "failed" and row.last_error.startswith(str(status))
    assert crm_sync.sync_call(db, call_id=call.id)[0].attempts == 1  # a failed call is not tried again


def test_revoked_token_breaks_the_connection_and_emails_admins_once(db, org, emulator, jobs):
    tenant, _ = org
    _, row = _connected(db, org, emulator)
    emulator.revoke_all()

    [synced] = crm_sync.sync_call(db, call_id=_summarised_call(db, tenant).id)
    crm_sync.sync_call(db, call_id=_summarised_call(db, tenant).id)  # broken: not tried

    db.expire_all()
    broken = db.get(CrmConnection, row.id)
    assert broken.status == "broken" and broken.broken_at is not None
    assert synced.status == "pending" and synced.last_error == "connection_broken"
    [mail] = db.exec(select(Outbox).where(Outbox.dedupe_key.like("crm-broken:%"))).all()
    assert "HubSpot" in mail.subject and "reconnect" in mail.body_text.lower()
    assert len(_rows(db)) == 1
    _, admin = org
    out = connections.get_connection(db, principal=admin)
    assert out.status == "broken"

    # Reconnecting (a new private-app token) sends the call the broken connection left pending.
    out = connections.connect_with_token(db, principal=admin, token=emulator.new_private_app_token())
    assert out.status == "connected"
    [resumed] = _rows(db)
    assert resumed.status == "synced" and len(emulator.records("calls")) == 1


def test_oauth_connection_refreshes_and_breaks_on_bad_refresh_token(db, org, emulator):
    tenant, _ = org
    # What the consent page's "Connect app" leads to: a code traded for tokens.
    code = "c0de"
    emulator.codes[code] = {
        "client_id": "app",
        "redirect_uri": hubspot.redirect_uri(),
        "state": "",
        "scope": "",
        "expires": 1e12,
    }
    emulator.redirect_uris.add(hubspot.redirect_uri())
    tokens = connections.run_coroutine_sync(hubspot.exchange_code(hubspot.endpoints(), code=code))
    row = CrmConnection(
        tenant_id=tenant.id,
        provider="hubspot",
        auth_kind="oauth",
        refresh_token_encrypted=connections.encrypt_text(tokens.refresh_token),
        access_token_encrypted=connections.encrypt_text("expired-token"),
    )
    db.add(row)
    db.commit()

    [synced] = crm_sync.sync_call(db, call_id=_summarised_call(db, tenant).id)
    assert synced.status == "synced"  # the 401 refreshed the access token once

    emulator.revoke_all()
    db.expire_all()
    crm_sync.sync_call(db, call_id=_summarised_call(db, tenant).id)
    db.expire_all()
    assert db.get(CrmConnection, row.id).broken_reason == "bad_refresh_token"


def test_refused_private_app_token_is_not_kept(db, org, emulator):
    _, admin = org
    with pytest.raises(Invalid) as refused:
        connections.connect_with_token(db, principal=admin, token="pat-na1-not-a-real-one")
    assert refused.value.code == "crm_token_refused"
    assert db.exec(select(CrmConnection)).all() == []


def test_withheld_number_logs_the_call_on_no_contact(db, org, emulator):
    tenant, _ = org
    _connected(db, org, emulator)

    [row] = crm_sync.sync_call(db, call_id=_summarised_call(db, tenant, caller_number=None, action_needed=True).id)

    assert row.status == "synced" and row.contact_id is None and row.engagement_id and row.task_id
    assert emulator.records("contacts") == []
    assert [record["contacts"] for record in emulator.records("calls") + emulator.records("tasks")] == [[], []]


def test_test_calls_and_unsummarised_calls_are_not_synced(db, org, emulator):
    tenant, _ = org
    _connected(db, org, emulator)
    assert crm_sync.sync_call(db, call_id=_summarised_call(db, tenant, call_type="test").id) == []
    pending = make_call(db, tenant=tenant, summary_status="pending")
    assert crm_sync.sync_call(db, call_id=pending.id) == []
    assert emulator.requests[-1][1] == "/account-info/v3/details"


def _booking(db, tenant, **fields):
    from datetime import UTC, datetime, timedelta

    from ava_app.models import Booking, BookingService, BookingStaff

    service = BookingService(tenant_id=tenant.id, name="Cleaning")
    staff = BookingStaff(tenant_id=tenant.id, name="Dr Roux")
    db.add(service)
    db.add(staff)
    db.commit()
    start = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    booking = Booking(
        tenant_id=tenant.id,
        service_id=service.id,
        staff_id=staff.id,
        start_at=start,
        end_at=start + timedelta(minutes=30),
        busy_until=start + timedelta(minutes=30),
        caller_name="Léa Martin",
        caller_phone="+33612345678",
        **fields,
    )
    db.add(booking)
    db.commit()
    return booking


def test_booking_becomes_one_meeting_then_moves_and_cancels(db, org, emulator):
    from datetime import timedelta

    tenant, _ = org
    _connected(db, org, emulator)
    booking = _booking(db, tenant)

    [row] = crm_sync.sync_booking(db, booking_id=booking.id)
    crm_sync.sync_booking(db, booking_id=booking.id)  # a retried job
    [meeting] = emulator.records("meetings")
    assert meeting["id"] == row.meeting_id and meeting["contacts"] == [row.contact_id]
    assert meeting["properties"]["hs_meeting_title"] == f"Cleaning — Léa Martin [AVA-B{booking.id}]"
    assert meeting["properties"]["hs_meeting_outcome"] == "SCHEDULED"

    booking.start_at += timedelta(hours=2)
    booking.end_at += timedelta(hours=2)
    booking.busy_until += timedelta(hours=2)
    db.add(booking)
    db.commit()
    crm_sync.sync_booking(db, booking_id=booking.id)
    assert meeting["properties"]["hs_meeting_start_time"] == str(int(booking.start_at.timestamp() * 1000))

    booking.status = "cancelled"
    db.add(booking)
    db.commit()
    crm_sync.sync_booking(db, booking_id=booking.id)
    assert meeting["properties"]["hs_meeting_outcome"] == "CANCELED"
    assert len(emulator.records("meetings")) == 1


def test_post_call_job_queues_the_crm_sync(db, org, emulator, jobs):
    from ava_app.services import post_call

    tenant, _ = org
    _connected(db, org, emulator)
    call = make_call(
        db,
        tenant=tenant,
        caller_number="+33698765432",
        transcript="User: Hello, I would like to book a cleaning next week please.\nAI: Of course.",
    )

    post_call.process_call(db, call_id=call.id)

    db.expire_all()
    [row] = _rows(db)
    assert row.call_id == call.id and row.status == "synced"
    [logged] = emulator.records("calls")
    assert logged["properties"]["hs_call_from_number"] == "+33698765432"
