"""The job queue's own pieces: the SQLite job store's durability setting, the embedded worker yielding to webhooks."""

from __future__ import annotations

import threading
import time

from ava_app import jobs
from ava_app.jobs import JobStore, RequestsInFlight


def test_sqlite_job_store_syncs_like_the_app_database(tmp_path):
    store = JobStore("ava-test", filename=str(tmp_path / "jobs.db"))
    with store.db() as cursor:
        journal = cursor.execute("pragma journal_mode").fetchone()[0]
        synchronous = cursor.execute("pragma synchronous").fetchone()[0]
    assert (journal, synchronous) == ("wal", 1)  # 1 is NORMAL: no disk sync per commit, safe across a crash of AVA
    store.enqueue(b"job")
    assert store.dequeue() == b"job"


def test_quiet_at_once_when_no_webhook_was_handled():
    started = time.monotonic()
    assert RequestsInFlight().wait_until_quiet(quiet=0.05, timeout=1) is True
    assert time.monotonic() - started < 0.04


def test_a_request_in_flight_holds_the_worker_for_at_most_the_timeout():
    gate = RequestsInFlight()
    with gate.track():
        started = time.monotonic()
        assert gate.wait_until_quiet(quiet=0.01, timeout=0.1) is False
        assert 0.09 <= time.monotonic() - started < 0.5


def test_the_worker_goes_once_webhooks_have_been_quiet_for_a_moment():
    gate = RequestsInFlight()
    released = threading.Event()

    def request() -> None:
        with gate.track():
            released.wait(1)

    thread = threading.Thread(target=request)
    thread.start()
    time.sleep(0.02)
    timer = threading.Timer(0.05, released.set)
    timer.start()
    started = time.monotonic()
    assert gate.wait_until_quiet(quiet=0.05, timeout=2) is True
    waited = time.monotonic() - started
    thread.join()
    # The request ended after about 0.05 s, then the quiet period of 0.05 s had to pass.
    assert 0.09 <= waited < 1


def test_only_embedded_worker_threads_yield(monkeypatch):
    """A task run inline (immediate mode, in the request's own thread) must not wait for the request it runs in."""
    monkeypatch.setattr(jobs, "EMBEDDED_YIELD_SECONDS", 0.2)
    with jobs.webhooks_in_flight.track():
        started = time.monotonic()
        jobs._yield_to_webhooks(None)
        assert time.monotonic() - started < 0.1

        waited = []

        def embedded_worker() -> None:
            jobs._mark_embedded_worker()
            began = time.monotonic()
            jobs._yield_to_webhooks(None)
            waited.append(time.monotonic() - began)

        thread = threading.Thread(target=embedded_worker)
        thread.start()
        thread.join()
    assert waited and waited[0] >= 0.19
