"""The emulated calendars: events by account, plus busy blocks tests add, and failure injection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class CalendarStore:
    """Events of every emulated account (``events[account][event_id]``, each a provider-shaped dict).

    ``busy`` holds busy blocks that are not events (tests: "the owner is at the dentist"); ``fail_next`` makes the
    next calendar requests answer an error, for the client's retries.
    """

    events: dict[str, dict[str, dict]] = field(default_factory=dict)
    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    failures: list[tuple[int, float | None]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def add_busy(self, account: str, start: datetime, end: datetime) -> None:
        """A busy block in ``account``'s calendar that freeBusy/getSchedule report."""
        self.busy.setdefault(account, []).append((start, end))

    def fail_next(self, *, status: int = 503, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` calendar requests answer ``status`` (429, 500, 503) with an optional Retry-After."""
        self.failures.extend([(status, retry_after)] * times)

    def take_failure(self) -> tuple[int, float | None] | None:
        return self.failures.pop(0) if self.failures else None

    def calendar(self, account: str) -> dict[str, dict]:
        return self.events.setdefault(account, {})


def parse_time(value: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset) as an aware UTC datetime; ValueError when it is not one."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time zone offset is required")
    return moment.astimezone(UTC)


def overlaps(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> bool:
    return start < window_end and end > window_start
