"""Metrics of the Reflex UI: events per handler, their run time, and browser sessions connected.

Two hooks of Reflex 0.10:

* An app middleware's ``preprocess`` runs for every event, under the session's state lock and once its handler is
  resolved (so the event name is a registered handler, not whatever a client sent): it counts events and refreshes
  the sessions gauge. There is no hook after the handler (``postprocess`` is no longer called).
* Reflex's own OpenTelemetry trace points (``reflex_base.otel``) time every handler run. They are switched on here
  with a meter whose event-duration histogram writes into AVA's Prometheus histogram, and with AVA's tracer provider
  when traces are on (a no-op tracer otherwise), so no OpenTelemetry metrics pipeline is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.metrics import Histogram, Meter, MeterProvider, NoOpHistogram, NoOpMeter
from opentelemetry.trace import NoOpTracerProvider
from opentelemetry.util.types import Attributes
from reflex.middleware import Middleware
from reflex_base import otel as reflex_otel

from ava_app.observability import metrics, tracing


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
    """Add the UI metrics to a Reflex ``app`` (call once, after ``rx.App(...)`` and ``configure_tracing``)."""
    app.add_middleware(EventMetrics(app))
    _instrumented[:] = [app]
    time_reflex_handlers()


def time_reflex_handlers() -> None:
    """Switch Reflex's trace points on: handler run times into Prometheus, spans to AVA's tracer when tracing is on.

    Once per process; Reflex ignores a second ``enable``.
    """
    provider = tracing.tracer_provider() or NoOpTracerProvider()
    reflex_otel.enable(tracer_provider=provider, meter_provider=_HandlerTimes())


class _HandlerDurations(NoOpHistogram):
    """Reflex's ``reflex.event.duration`` histogram, recorded into ``ava_reflex_event_duration_seconds``."""

    def __init__(self) -> None:
        super().__init__(reflex_otel.METRIC_EVENT_DURATION, unit="s")

    def record(self, amount: int | float, attributes: Attributes = None, context: Context | None = None) -> None:
        attributes = attributes or {}
        metrics.record_reflex_event_duration(
            handler=str(attributes.get(reflex_otel.ATTR_EVENT_NAME, "unknown")),
            outcome=str(attributes.get(reflex_otel.ATTR_ERROR_TYPE, "ok")),
            seconds=float(amount),
        )


class _HandlerMeter(NoOpMeter):
    """Drops every Reflex instrument but the handler run time (message sizes and connections are not needed)."""

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> Histogram:
        if name == reflex_otel.METRIC_EVENT_DURATION:
            return _HandlerDurations()
        return super().create_histogram(
            name, unit, description, explicit_bucket_boundaries_advisory=explicit_bucket_boundaries_advisory
        )


class _HandlerTimes(MeterProvider):
    def get_meter(
        self, name: str, version: str | None = None, schema_url: str | None = None, attributes: Attributes = None
    ) -> Meter:
        return _HandlerMeter(name, version=version, schema_url=schema_url)


def refresh_instrumented_sessions() -> None:
    """Refresh the sessions gauge of the instrumented app, if any (called when /metrics is scraped)."""
    for app in _instrumented:
        refresh_sessions(app)
