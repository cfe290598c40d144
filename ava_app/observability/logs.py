"""Log output: plain text for development, one JSON object per line in production (``AVA_LOG_FORMAT=json``).

Every line carries ``request_id`` (``-`` outside a request or job) through ``RequestIdFilter``, so the lines of one
webhook and of the jobs it enqueued can be found together.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from ava_app.observability.request_ids import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request id to each record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class _AvaHandler(logging.StreamHandler):
    """AVA's own root handler, recognised so configuring twice replaces it instead of adding a second one."""


def json_formatter() -> logging.Formatter:
    """The JSON formatter: time, level, logger, message, request_id, plus any ``extra`` fields and the traceback."""
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(*, log_format: str = "text", level: str = "INFO") -> None:
    """Send the root logger's records to stderr in ``log_format`` ("text" or "json") at ``level``.

    Idempotent: a second call replaces AVA's handler (other handlers, such as pytest's, are left alone).
    """
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, _AvaHandler)]:
        root.removeHandler(handler)
    handler = _AvaHandler(sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
