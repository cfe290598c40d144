"""Outgoing webhooks: endpoints per organisation, Standard Webhooks signatures (verified with the ``standardwebhooks``
package), delivery in order with the retry schedule, 410 and five days of failures disabling, rotation overlap,
SSRF refusal and tenant isolation. The receiver is an httpx MockTransport behind the delivery client's hook; one test
uses a real HTTP server on 127.0.0.1 through the guarded transport."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError

from ava_app.models import Outbox, WebhookDelivery, WebhookEndpoint, utcnow
from ava_app.services import webhooks_out
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.outbound_guard import OutboundRefused
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from tests.factories import make_tenant, make_user


class Receiver:
    """A webhook receiver behind httpx.MockTransport: records each request and answers from a script."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        headers = {"retry-after": "7200"} if answer == 429 else {}
        return httpx.Response(answer, text="ok" if answer < 300 else "x" * 2000, headers=headers)

    def events(self) -> list[str]:
        return [json.loads(request.content)["type"] for request in self.requests]


@pytest.fixture()
def receiver(monkeypatch):
    def install(*answers: int | Exception) -> Receiver:
        target = Receiver(*answers)
        monkeypatch.setattr(webhooks_out, "transport_override", lambda: httpx.MockTransport(target))
        return target

    return install


@pytest.fixture()
def org(db):
    tenant = make_tenant(db)
    admin = make_user(db, tenant=tenant, role="admin", locale="fr")
    return tenant, Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")


def _endpoint(db, principal, events=("call.ended", "test.ping"), url="https://hooks.example.com/ava"):
    return webhooks_out.create_endpoint(db, principal=principal, url=url, event_types=list(events))


def _deliveries(db, endpoint_id):
    db.expire_all()
    return db.exec(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id)
    ).all()


def test_test_event_is_signed_per_standard_webhooks(db, org, receiver, jobs):
    _, admin = org
    created = _endpoint(db, admin)
    assert created.secret.startswith("whsec_")
    target = receiver(200)

    webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)

    [request] = target.requests
    body = Webhook(created.secret).verify(request.content, dict(request.headers))
    assert body["type"] == "test.ping" and body["version"] == 1 and "timestamp" in body
    assert request.headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks_out.new_secret()).verify(request.content, dict(request.headers))
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "succeeded" and delivery.attempt_count == 1
    assert delivery.attempts[0]["status_code"] == 200 and delivery.attempts[0]["response"] == "ok"
    assert delivery.attempts[0]["latency_ms"] >= 0


def test_secret_is_stored_encrypted_and_never_listed(db, org):
    _, admin = org
    created = _endpoint(db, admin)
    row = db.get(WebhookEndpoint, created.endpoint.id)
    assert created.secret not in row.secret_encrypted
    assert "secret" not in json.dumps([vars(e) for e in webhooks_out.list_endpoints(db, principal=admin)], default=str)


def test_emit_only_to_subscribed_endpoints_and_nothing_without_any(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver()
    assert webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1}) == 0
    ended = _endpoint(db, admin, events=("call.ended",))
    _endpoint(db, admin, events=("booking.created",), url="https://other.example.com/x")

    assert webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1}) == 1
    assert target.requests == []  # not before the commit
    db.commit()
    assert target.events() == ["call.ended"]
    assert len(_deliveries(db, ended.endpoint.id)) == 1


def test_dedupe_key_makes_one_delivery(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver()
    _endpoint(db, admin)
    for _ in range(2):
        webhooks_out.emit_committed(
            db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 7}, dedupe_key="call.ended:7"
        )
    assert target.events() == ["call.ended"]


def test_retry_schedule_on_500_timeout_and_429(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver(500, httpx.ReadTimeout("slow"), 429, 200)
    created = _endpoint(db, admin)
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()

    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "pending" and delivery.attempt_count == 1
    assert len(delivery.attempts[0]["response"]) == webhooks_out.RESPONSE_EXCERPT_CHARS
    first = delivery.next_attempt_at
    clock = utcnow() + timedelta(seconds=6)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.attempt_count == 2 and "No answer within 15 s" in delivery.attempts[1]["error"]
    assert first is not None
    # The third attempt waits 5 minutes.
    assert webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock) == "waiting"
    clock += timedelta(minutes=5, seconds=1)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.attempts[2]["status_code"] == 429
    # A 429 asking for two hours is honoured over the 30-minute step.
    wait = (webhooks_out.as_utc(delivery.next_attempt_at) - clock).total_seconds()
    assert 7190 <= wait <= 7210
    clock += timedelta(hours=2, seconds=1)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "succeeded" and delivery.attempt_count == 4
    # Every attempt carried the same message id (receivers deduplicate on it) and a valid signature at its time.
    assert len({request.headers["webhook-id"] for request in target.requests}) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_4xx_other_than_410_is_retried_on_the_schedule(db, org, receiver, jobs, status):
    # A receiver refusing one body today (a deploy half done, a key being rotated) may take it tomorrow: only 410
    # says "never again". Standard Webhooks senders retry every other non-2xx answer.
    tenant, admin = org
    target = receiver(status, 200)
    created = _endpoint(db, admin)
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    [delivery] = _deliveries(db, created.endpoint.id)
    assert (delivery.status, delivery.attempt_count) == ("pending", 1)
    assert delivery.attempts[0]["status_code"] == status
    wait = (webhooks_out.as_utc(delivery.next_attempt_at) - utcnow()).total_seconds()
    assert 0 < wait <= webhooks_out.RETRY_SCHEDULE[1] + 1
    clock = utcnow() + timedelta(seconds=webhooks_out.RETRY_SCHEDULE[1] + 1)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    [delivery] = _deliveries(db, created.endpoint.id)
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
    assert db.get(WebhookEndpoint, created.endpoint.id).enabled
    assert len(target.requests) == 2


def test_failed_after_the_whole_schedule_then_the_next_event_goes(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver(*([503] * len(webhooks_out.RETRY_SCHEDULE)))
    created = _endpoint(db, admin)
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 2})
    db.commit()
    # In order: the second event waits behind the first while it is retried.
    assert [json.loads(r.content)["data"]["call_id"] for r in target.requests] == [1]
    clock = utcnow()
    for wait in webhooks_out.RETRY_SCHEDULE[1:]:
        clock += timedelta(seconds=wait + 1)
        webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda at=clock: at)
    first, second = _deliveries(db, created.endpoint.id)
    assert first.status == "failed" and first.attempt_count == len(webhooks_out.RETRY_SCHEDULE)
    assert second.status == "succeeded"
    ids = [json.loads(r.content)["data"]["call_id"] for r in target.requests]
    assert ids == [1] * len(webhooks_out.RETRY_SCHEDULE) + [2]


def test_in_order_per_endpoint(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver(500, 200, 200, 200)
    created = _endpoint(db, admin)
    for call_id in (1, 2, 3):
        webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": call_id})
        db.commit()
    clock = utcnow() + timedelta(seconds=6)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    assert [json.loads(r.content)["data"]["call_id"] for r in target.requests] == [1, 1, 2, 3]


def test_a_held_endpoint_is_not_delivered_twice(db, org, receiver, jobs):
    tenant, admin = org
    target = receiver()
    created = _endpoint(db, admin)
    assert webhooks_out._claim(db, endpoint_id=created.endpoint.id, now=utcnow())
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    assert target.requests == []
    assert webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id) == "busy"
    webhooks_out._release(db, endpoint_id=created.endpoint.id)
    assert webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id) == "idle"
    assert target.events() == ["call.ended"]


def test_410_disables_the_endpoint_and_emails_admins(db, org, receiver, jobs, smtp_env):
    tenant, admin = org
    receiver(410)
    created = _endpoint(db, admin)
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    db.expire_all()
    row = db.get(WebhookEndpoint, created.endpoint.id)
    assert not row.enabled and row.disabled_reason == "gone"
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "failed"
    [mail] = db.exec(select(Outbox).where(Outbox.channel == "email", Outbox.tenant_id == tenant.id)).all()
    assert "désactivé" in mail.subject
    # Nothing more is queued for it.
    assert webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 2}) == 0


def test_five_days_of_failures_disable_the_endpoint(db, org, receiver, jobs, smtp_env):
    tenant, admin = org
    receiver(*([500] * 20))
    created = _endpoint(db, admin)
    row = db.get(WebhookEndpoint, created.endpoint.id)
    row.failing_since = utcnow() - timedelta(days=5, minutes=1)
    db.add(row)
    db.commit()
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    db.expire_all()
    row = db.get(WebhookEndpoint, created.endpoint.id)
    assert not row.enabled and row.disabled_reason == "failing"
    assert db.exec(select(Outbox).where(Outbox.tenant_id == tenant.id)).all()


def test_success_clears_the_failure_streak(db, org, receiver, jobs):
    tenant, admin = org
    receiver(500, 200)
    created = _endpoint(db, admin)
    webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
    db.commit()
    db.expire_all()
    assert db.get(WebhookEndpoint, created.endpoint.id).failing_since is not None
    clock = utcnow() + timedelta(seconds=6)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    db.expire_all()
    assert db.get(WebhookEndpoint, created.endpoint.id).failing_since is None


def test_rotation_overlap_signs_with_both_secrets(db, org, receiver, jobs):
    _, admin = org
    target = receiver()
    created = _endpoint(db, admin)
    rotated = webhooks_out.rotate_secret(db, principal=admin, endpoint_id=created.endpoint.id)
    assert rotated.secret != created.secret and rotated.endpoint.rotating_until is not None

    webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    request = target.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (created.secret, rotated.secret):
        Webhook(secret).verify(request.content, dict(request.headers))

    # Once the overlap is over, only the new secret signs.
    row = db.get(WebhookEndpoint, created.endpoint.id)
    row.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    request = target.requests[-1]
    Webhook(rotated.secret).verify(request.content, dict(request.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(created.secret).verify(request.content, dict(request.headers))


def test_resend_sends_the_same_message_again(db, org, receiver, jobs):
    _, admin = org
    target = receiver(200, 200)
    created = _endpoint(db, admin)
    sent = webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    webhooks_out.resend_delivery(db, principal=admin, delivery_id=sent.id)
    assert len(target.requests) == 2
    assert target.requests[0].content == target.requests[1].content
    [log] = webhooks_out.list_deliveries(db, principal=admin, endpoint_id=created.endpoint.id)
    assert log.status == "succeeded" and len(log.attempts) == 2


def test_retry_now_brings_a_waiting_retry_forward_and_keeps_its_attempts(db, org, receiver, jobs):
    _, admin = org
    target = receiver(500, 500, 200)
    created = _endpoint(db, admin)
    sent = webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    clock = utcnow() + timedelta(seconds=6)
    webhooks_out.deliver_due(db, endpoint_id=created.endpoint.id, now=lambda: clock)
    [waiting] = webhooks_out.list_deliveries(db, principal=admin, endpoint_id=created.endpoint.id)
    assert (waiting.status, waiting.attempt_count) == ("pending", 2)
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at > utcnow() + timedelta(minutes=4)

    webhooks_out.resend_delivery(db, principal=admin, delivery_id=sent.id)
    assert len(target.requests) == 3 and target.requests[0].content == target.requests[2].content
    [log] = webhooks_out.list_deliveries(db, principal=admin, endpoint_id=created.endpoint.id)
    assert (log.status, log.attempt_count, [a["status_code"] for a in log.attempts]) == (
        "succeeded",
        3,
        [500, 500, 200],
    )


def test_validation(db, org):
    _, admin = org
    with pytest.raises(Invalid):
        _endpoint(db, admin, events=())
    with pytest.raises(Invalid):
        _endpoint(db, admin, events=("call.exploded",))
    with pytest.raises(Invalid):
        _endpoint(db, admin, url="not a url")
    with pytest.raises(OutboundRefused):
        _endpoint(db, admin, url="ftp://hooks.example.com/x")


@contextmanager
def production_settings():
    """AVA_ENV=prod for the enclosed block (the providers' credentials are not what these tests are about)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AVA_ENV", "prod")
        patch.setenv("AVA_ALLOW_SANDBOX", "true")
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


@pytest.fixture()
def production():
    with production_settings():
        yield


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "http://hooks.example.com/plain-http",
    ],
)
def test_ssrf_refused_when_saved_in_production(db, org, url, production):
    _, admin = org
    with pytest.raises(OutboundRefused):
        _endpoint(db, admin, url=url)


def test_ssrf_refused_at_delivery_in_production(db, org, jobs):
    """A URL saved while allowed (or a name that now resolves privately) is refused at connect time: logged, retried,
    never sent."""
    tenant, admin = org
    created = _endpoint(db, admin, url="https://127.0.0.1:9/hook")
    with production_settings():
        webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data={"call_id": 1})
        db.commit()
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "pending" and delivery.attempts[0]["status_code"] is None
    assert "private network" in delivery.attempts[0]["error"]


def test_real_http_server_on_loopback_in_development(db, org, jobs):
    """Through the guarded transport (development allows 127.0.0.1) to a real HTTP server."""
    tenant, admin = org
    received: list[tuple[bytes, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((body, {key.lower(): value for key, value in self.headers.items()}))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        created = _endpoint(db, admin, url=f"http://127.0.0.1:{server.server_port}/hooks")
        webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    finally:
        server.shutdown()
        server.server_close()
    [(body, headers)] = received
    assert Webhook(created.secret).verify(body, headers)["type"] == "test.ping"
    [delivery] = _deliveries(db, created.endpoint.id)
    assert delivery.status == "succeeded" and delivery.last_status_code == 204
    assert tenant.id == delivery.tenant_id


def test_members_read_admins_edit(db, org):
    tenant, admin = org
    created = _endpoint(db, admin)
    member = make_user(db, tenant=tenant, role="user")
    principal = Principal(user_id=member.id, tenant_id=tenant.id, role="user")
    assert [e.id for e in webhooks_out.list_endpoints(db, principal=principal)] == [created.endpoint.id]
    assert webhooks_out.list_deliveries(db, principal=principal, endpoint_id=created.endpoint.id) == []
    for attempt in (
        lambda: _endpoint(db, principal),
        lambda: webhooks_out.rotate_secret(db, principal=principal, endpoint_id=created.endpoint.id),
        lambda: webhooks_out.send_test_event(db, principal=principal, endpoint_id=created.endpoint.id),
        lambda: webhooks_out.delete_endpoint(db, principal=principal, endpoint_id=created.endpoint.id),
    ):
        with pytest.raises(Forbidden):
            attempt()


def test_cross_tenant(db, org, receiver, jobs):
    tenant, admin = org
    receiver()
    created = _endpoint(db, admin)
    sent = webhooks_out.send_test_event(db, principal=admin, endpoint_id=created.endpoint.id)
    other = make_tenant(db)
    other_admin = make_user(db, tenant=other, role="admin")
    intruder = Principal(user_id=other_admin.id, tenant_id=other.id, role="admin")

    assert webhooks_out.list_endpoints(db, principal=intruder) == []
    endpoint_id = created.endpoint.id
    for attempt in (
        lambda: webhooks_out.list_deliveries(db, principal=intruder, endpoint_id=endpoint_id),
        lambda: webhooks_out.update_endpoint(db, principal=intruder, endpoint_id=endpoint_id, url="https://evil.test"),
        lambda: webhooks_out.rotate_secret(db, principal=intruder, endpoint_id=endpoint_id),
        lambda: webhooks_out.send_test_event(db, principal=intruder, endpoint_id=endpoint_id),
        lambda: webhooks_out.delete_endpoint(db, principal=intruder, endpoint_id=endpoint_id),
        lambda: webhooks_out.resend_delivery(db, principal=intruder, delivery_id=sent.id),
    ):
        with pytest.raises(NotFound):
            attempt()
    db.expire_all()
    assert db.get(WebhookEndpoint, endpoint_id).url == "https://hooks.example.com/ava"
    # Org B's events never reach org A's endpoint.
    assert webhooks_out.emit(db, tenant_id=other.id, event_type="call.ended", data={"call_id": 1}) == 0
