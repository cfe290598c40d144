"""The job queue's own pieces: the SQLite job store's durability setting, the embedded worker yielding to webhooks."""

from __future__ import annotations

import threading
import time

from ava_app import task_queue
from ava_app.task_queue import JobStore, RequestsInFlight, SharedWebhookActivity


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


def test_only_worker_threads_yield(monkeypatch):
    """A task run inline (immediate mode, in the request's own thread) must not wait for the request it runs in."""
    monkeypatch.setattr(task_queue, "YIELD_MAX_SECONDS", 0.2)
    monkeypatch.setattr(task_queue, "_redis_client", lambda: None)
    with task_queue.webhooks_in_flight.track():
        started = time.monotonic()
        task_queue._yield_to_webhooks(None)
        assert time.monotonic() - started < 0.1

        waited = []

        def worker() -> None:
            task_queue._mark_worker_thread()
            began = time.monotonic()
            task_queue._yield_to_webhooks(None)
            waited.append(time.monotonic() - began)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert waited and waited[0] >= 0.19


class ExpiringKeys:
    """The two Redis calls SharedWebhookActivity makes, with PX expiry, in memory."""

    def __init__(self) -> None:
        self.expires: dict[str, float] = {}
        self.sets = 0

    def set(self, key: str, _value: bytes, *, px: int) -> None:
        self.sets += 1
        self.expires[key] = time.monotonic() + px / 1000

    def exists(self, key: str) -> int:
        return int(self.expires.get(key, 0) > time.monotonic())


def test_workers_of_other_processes_wait_while_webhooks_keep_the_key_alive():
    client = ExpiringKeys()
    activity = SharedWebhookActivity(refresh=0.2, ttl=0.5, poll=0.01)
    assert activity.wait_until_quiet(client, timeout=0.1) is True

    # Times long enough that a busy machine (tests in parallel, a benchmark beside them) cannot starve the webhooks'
    # thread past the key's life: with 50 ms the key once expired mid-burst and the wait saw quiet.
    stop = threading.Event()

    def burst() -> None:
        while not stop.is_set():
            activity.note(client)
            time.sleep(0.001)

    thread = threading.Thread(target=burst)
    thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert activity.wait_until_quiet(client, timeout=1.0) is False
    assert time.monotonic() - started >= 0.9
    stop.set()
    thread.join()
    # Refreshed every 200 ms, not once per webhook; quiet again once the key expires.
    assert client.sets <= 10
    assert activity.wait_until_quiet(client, timeout=3) is True


def test_a_redis_error_never_reaches_the_webhook(monkeypatch):
    class Down:
        def set(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(task_queue, "_redis_client", lambda: Down())
    monkeypatch.setattr(task_queue, "shared_webhook_activity", SharedWebhookActivity())
    task_queue.note_webhook_activity()
