"""Log output and request ids: JSON lines carry the id, the id is validated, made at the edge and sent back."""

from __future__ import annotations

import json
import logging
import threading

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.observability import logs
from ava_app.observability.request_ids import (
    MAX_LENGTH,
    accepted_request_id,
    current_request_id,
    new_request_id,
    request_id_bound,
)


def _json_line(record: logging.LogRecord) -> dict:
    logs.RequestIdFilter().filter(record)
    return json.loads(logs.json_formatter().format(record))


def test_json_lines_carry_the_request_id_and_the_extras():
    record = logging.LogRecord("ava_app.test", logging.WARNING, __file__, 1, "outbox %s failed", (7,), None)
    record.tenant_id = 42
    with request_id_bound("req-123"):
        line = _json_line(record)
    assert line["message"] == "outbox 7 failed"
    assert line["level"] == "WARNING" and line["logger"] == "ava_app.test"
    assert line["request_id"] == "req-123" and line["tenant_id"] == 42
    assert line["time"]
    outside = _json_line(logging.LogRecord("ava_app.test", logging.INFO, __file__, 1, "idle", (), None))
    assert outside["request_id"] == "-"


def test_configure_logging_installs_one_handler_of_the_chosen_format(capsys):
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure_logging(log_format="text")
        logs.configure_logging(log_format="json", level="INFO")
        ours = [handler for handler in root.handlers if isinstance(handler, logs._AvaHandler)]
        assert len(ours) == 1
        with request_id_bound("req-json-1"):
            logging.getLogger("ava_app.probe").info("hello %s", "there")
        lines = [line for line in capsys.readouterr().err.splitlines() if "req-json-1" in line]
        assert json.loads(lines[-1]) | {"time": ""} == {
            "time": "",
            "level": "INFO",
            "logger": "ava_app.probe",
            "message": "hello there",
            "request_id": "req-json-1",
        }
    finally:
        for handler in [handler for handler in root.handlers if isinstance(handler, logs._AvaHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.parametrize(
    ("presented", "accepted"),
    [
        ("3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f", True),
        ("lb.trace:42_a", True),
        ("x" * MAX_LENGTH, True),
        ("x" * (MAX_LENGTH + 1), False),
        ("", False),
        ("id with spaces", False),
        ("line\nbreak", False),
        ('<script>"', False),
        ("é", False),
    ],
)
def test_presented_ids_are_bounded_and_safe(presented, accepted):
    assert (accepted_request_id(presented) == presented) is accepted
    if not accepted:
        assert accepted_request_id(presented) is None


def test_ids_are_random_and_scoped():
    assert new_request_id() != new_request_id() and len(new_request_id()) == 32
    assert current_request_id() is None
    with request_id_bound("outer"):
        with request_id_bound("inner"):
            assert current_request_id() == "inner"
        assert current_request_id() == "outer"
    assert current_request_id() is None


async def test_the_edge_keeps_a_good_id_and_replaces_a_bad_one(engine):
    seen: list[str | None] = []
    api = create_api()

    @api.get("/probe-request-id")
    async def probe() -> dict:
        seen.append(current_request_id())
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        kept = await client.get("/probe-request-id", headers={"X-Request-ID": "edge-abc.123"})
        replaced = await client.get("/probe-request-id", headers={"X-Request-ID": "bad id<br>"})
        made = await client.get("/probe-request-id")
        on_error = await client.get("/api/v1/calls/5", headers={"X-Request-ID": "edge-401"})
    assert kept.headers["x-request-id"] == "edge-abc.123" == seen[0]
    assert replaced.headers["x-request-id"] == seen[1] and len(seen[1] or "") == 32
    assert made.headers["x-request-id"] == seen[2] and seen[2] != seen[1]
    assert on_error.status_code == 401 and on_error.headers["x-request-id"] == "edge-401"
    assert current_request_id() is None


async def test_an_unhandled_error_answers_500_with_the_request_id(engine, caplog):
    api = create_api()

    @api.get("/probe-crash")
    async def crash() -> dict:
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        given = await client.get("/probe-crash", headers={"X-Request-ID": "crash-42"})
        made = await client.get("/probe-crash")
    assert given.status_code == 500 and given.headers["x-request-id"] == "crash-42"
    assert given.json() == {"detail": "Internal Server Error", "request_id": "crash-42"}
    assert made.status_code == 500 and made.json()["request_id"] == made.headers["x-request-id"]
    assert len(made.headers["x-request-id"]) == 32
    logged = [record for record in caplog.records if record.getMessage() == "unhandled error in GET /probe-crash"]
    assert len(logged) == 2 and logged[0].exc_info is not None


def test_a_consumer_process_logs_in_avas_format_once(monkeypatch):
    from ava_app import task_queue

    root, huey_logger = logging.getLogger(), logging.getLogger("huey")
    consumer_handler = logging.StreamHandler()
    huey_logger.addHandler(consumer_handler)
    monkeypatch.setattr(task_queue, "_logs_configured", threading.Event())
    level = root.level
    try:
        task_queue._configure_worker_logs()
        task_queue._configure_worker_logs()
        assert consumer_handler not in huey_logger.handlers
        assert len([handler for handler in root.handlers if isinstance(handler, logs._AvaHandler)]) == 1
    finally:
        huey_logger.removeHandler(consumer_handler)
        for handler in [handler for handler in root.handlers if isinstance(handler, logs._AvaHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
