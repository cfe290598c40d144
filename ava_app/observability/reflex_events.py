"""Metrics of the Reflex UI: events per handler and browser sessions connected, through Reflex's middleware hook.

Reflex 0.10 calls an app middleware's ``preprocess`` for every event, under the session's state lock and once its
handler is resolved (so the event name is a registered handler, not whatever a client sent). It has no hook after
the handler ran (``postprocess`` is no longer called), so handler latency is not measured here; Reflex's own
OpenTelemetry trace points record it when ``reflex-otel`` is installed.
"""

from __future__ import annotations

from typing import Any

from reflex.middleware import Middleware

from ava_app.observability import metrics


class EventMetrics(Middleware):
    """Counts each event by handler and refreshes the connected-sessions gauge; never changes an event."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def preprocess(self, app: Any, state: Any, event: Any) -> None:
        metrics.record_reflex_event(handler=str(getattr(event, "name", "unknown")))
        refresh_sessions(self._app)
        return None


def connected_sessions(app: Any) -> int:
    """Browser sessions connected to this process's socket (0 before the socket exists)."""
    namespace = getattr(app, "event_namespace", None)
    return len(namespace.sid_to_token) if namespace is not None else 0


def refresh_sessions(app: Any) -> None:
    """Set the sessions gauge from the socket's table (on each event, and at each scrape of this process)."""
    metrics.set_reflex_sessions(connected_sessions(app))


_instrumented: list[Any] = []


def instrument_reflex(app: Any) -> None:
    """Add the UI metrics to a Reflex ``app`` (call once, after ``rx.App(...)``)."""
    app.add_middleware(EventMetrics(app))
    _instrumented[:] = [app]


def refresh_instrumented_sessions() -> None:
    """Refresh the sessions gauge of the instrumented app, if any (called when /metrics is scraped)."""
    for app in _instrumented:
        refresh_sessions(app)
