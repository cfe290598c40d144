"""Prometheus metrics of AVA: HTTP, webhooks, jobs, provider calls, messages and the Reflex UI.

Instruments are built on first use, never at import. With ``AVA_METRICS_DIR`` set, every process of the deployment
(web processes and ``huey_consumer`` workers) writes its samples into that directory (prometheus-client's
multiprocess mode) and a scrape of any web process adds them up; unset, each process keeps its own registry, which
is right for one process. Recording a sample is an in-memory (or memory-mapped file) update: nothing per request
scans the directory; only a scrape reads it.

Labels are bounded on purpose: a route's template (never the raw path), a task's or operation's name, an error's
class, so a scanner cannot create series.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ava_app.private_files import private_dir
from ava_app.settings import get_settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Provider calls take from tens of milliseconds to tens of seconds (an LLM summary); HTTP requests are faster.
PROVIDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)
UI_EVENT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CIRCUIT_STATES = {"closed": 0, "half-opened": 1, "opened": 2}
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Instruments:
    """Every metric AVA records, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.http_requests = Counter(
            "ava_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "ava_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            registry=r,
        )
        self.webhooks = Counter(
            "ava_webhooks",
            "Provider webhooks accepted or refused, with the reason.",
            ["provider", "outcome", "reason"],
            registry=r,
        )
        self.jobs = Counter("ava_jobs", "Job runs by task and outcome.", ["task", "outcome"], registry=r)
        self.job_duration = Histogram(
            "ava_job_duration_seconds", "Job run time by task.", ["task"], buckets=JOB_BUCKETS, registry=r
        )
        self.provider_calls = Counter(
            "ava_provider_calls",
            "Calls to providers by operation and outcome.",
            ["provider", "operation", "outcome"],
            registry=r,
        )
        self.provider_duration = Histogram(
            "ava_provider_call_duration_seconds",
            "Provider call latency.",
            ["provider", "operation"],
            buckets=PROVIDER_BUCKETS,
            registry=r,
        )
        # 0 closed, 1 half-open, 2 open; across processes the worst one counts.
        self.circuit_state = Gauge(
            "ava_provider_circuit_state",
            "Circuit breaker state (0 closed, 1 half-open, 2 open).",
            ["provider", "circuit"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.messages = Counter("ava_messages", "Emails and SMS by outcome.", ["channel", "status"], registry=r)
        self.reflex_events = Counter("ava_reflex_events", "Reflex UI events by handler.", ["handler"], registry=r)
        self.reflex_event_duration = Histogram(
            "ava_reflex_event_duration_seconds",
            "Reflex UI event handler run time, by handler and outcome (ok or the exception's type).",
            ["handler", "outcome"],
            buckets=UI_EVENT_BUCKETS,
            registry=r,
        )
        self.reflex_sessions = Gauge(
            "ava_reflex_sessions",
            "Browser sessions connected to the Reflex socket.",
            multiprocess_mode="livesum",
            registry=r,
        )


@dataclass
class _Runtime:
    instruments: Instruments
    registry: CollectorRegistry
    multiprocess_dir: Path | None


_build_lock = threading.Lock()


@lru_cache(maxsize=1)
def _runtime() -> _Runtime:
    with _build_lock:
        directory = get_settings().metrics_dir
        if directory is not None:
            _use_multiprocess_dir(directory)
        registry = CollectorRegistry(auto_describe=True)
        return _Runtime(Instruments(registry), registry, directory)


def _use_multiprocess_dir(directory: Path) -> None:
    """Write samples into ``directory`` (0700: label values name routes and tasks) for every process to share.

    prometheus-client picks its value storage when first imported; it is chosen again here, before any instrument
    exists, so the setting works whatever imported the library earlier.
    """
    private_dir(directory)
    os.environ[MULTIPROC_ENV] = str(directory)
    values.ValueClass = values.get_value_class()


def instruments() -> Instruments:
    """The process's instruments (built, and the multiprocess directory prepared, on first use)."""
    return _runtime().instruments


def render(extra: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The exposition text of every process's samples (or this process's), plus ``extra`` collectors read now."""
    runtime = _runtime()
    if runtime.multiprocess_dir is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(runtime.multiprocess_dir))
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(runtime.registry))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Drop a finished process's live gauges (call from a process manager's child-exit hook, e.g. gunicorn)."""
    runtime = _runtime()
    if runtime.multiprocess_dir is not None:
        multiprocess.mark_process_dead(pid, path=str(runtime.multiprocess_dir))


class _Forward(Collector):
    """Exposes another registry's metrics, so ``render`` can add scrape-time collectors without keeping them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self._registry.collect()


class GaugesNow(Collector):
    """Gauges whose values are read at scrape time (the job queue's depth and age), as ``{name: (help, value)}``."""

    def __init__(self, gauges: dict[str, tuple[str, float | None]]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, value) in self._gauges.items():
            if value is not None:
                yield GaugeMetricFamily(name, documentation, value=value)


# --- recording -------------------------------------------------------------------------------------------


def record_http(*, method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request answered; ``route`` is the matched template (``unmatched`` for a 404 of no route)."""
    method = method if method in _KNOWN_METHODS else "OTHER"
    key = (method, route, status)
    children = _http_children.get(key)
    if children is None:
        # Looking a labelled series up costs more than updating it: done once per method, route and status.
        metrics = instruments()
        children = (
            metrics.http_requests.labels(method, route, str(status)),
            metrics.http_duration.labels(method, route),
        )
        _http_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


_http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def record_webhook(*, provider: str, outcome: str, reason: str = "") -> None:
    """A provider webhook ``accepted`` or ``refused`` (``reason``: why, e.g. unauthorized, too_large)."""
    instruments().webhooks.labels(provider, outcome, reason).inc()


def record_message(*, channel: str, status: str) -> None:
    """An email or SMS reached ``status`` (sent, failed, retrying, sandbox...)."""
    instruments().messages.labels(channel, status).inc()


def error_outcome(exc: BaseException) -> str:
    """A bounded label for a failure: the exception's class name."""
    return type(exc).__name__


@contextmanager
def provider_call(provider: str, operation: str) -> Iterator[None]:
    """Time the enclosed provider call and count it as ``ok`` or by the class of the exception it raised."""
    start = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = error_outcome(exc)
        raise
    finally:
        record_provider_call(
            provider=provider, operation=operation, outcome=outcome, seconds=time.perf_counter() - start
        )


def record_provider_call(*, provider: str, operation: str, outcome: str, seconds: float) -> None:
    """One call (or attempt) to a provider and how it went."""
    metrics = instruments()
    metrics.provider_calls.labels(provider, operation, outcome).inc()
    metrics.provider_duration.labels(provider, operation).observe(seconds)


def record_circuit_state(*, provider: str, circuit: str, state: str) -> None:
    """A provider's circuit breaker is now ``state`` (closed, half-opened, opened)."""
    instruments().circuit_state.labels(provider, circuit).set(CIRCUIT_STATES.get(state, 0))


def record_job(*, task: str, outcome: str, seconds: float | None = None) -> None:
    """A job ended (complete, error, retrying, expired, revoked...), with its run time when it ran."""
    metrics = instruments()
    metrics.jobs.labels(task, outcome).inc()
    if seconds is not None:
        metrics.job_duration.labels(task).observe(seconds)


def record_reflex_event(*, handler: str) -> None:
    """A UI event reached its handler."""
    instruments().reflex_events.labels(handler).inc()


def record_reflex_event_duration(*, handler: str, outcome: str, seconds: float) -> None:
    """A UI event's handler ran for ``seconds`` (``outcome``: ``ok`` or the type of the exception it raised)."""
    instruments().reflex_event_duration.labels(handler, outcome).observe(seconds)


def set_reflex_sessions(count: int) -> None:
    """The number of browser sessions connected to this process."""
    instruments().reflex_sessions.set(count)
