"""The correlation id of the work being done: one per HTTP request, carried into the jobs that request enqueues.

Taken from the caller's ``X-Request-ID`` when it is a short token of safe characters (a proxy or load balancer in
front of AVA usually sets one), else made here; kept in a context variable, so log lines, provider calls and
enqueued jobs all read the same id without passing it around.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
MAX_LENGTH = 64
# Letters, digits and a few separators: enough for UUIDs and the ids proxies make, nothing a log reader or a
# terminal could take for markup or a new line.
_SAFE = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")

_current: ContextVar[str | None] = ContextVar("ava_request_id", default=None)


def new_request_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def accepted_request_id(presented: str | None) -> str | None:
    """``presented`` when it is a usable id (bounded length, safe characters), else None."""
    if presented and _SAFE.fullmatch(presented):
        return presented
    return None


def current_request_id() -> str | None:
    """The id of the request or job being handled in this context, if any."""
    return _current.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Make ``request_id`` current; give the returned token to ``reset_request_id`` when the work ends."""
    return _current.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the id that was current before the matching ``bind_request_id``."""
    _current.reset(token)


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """The enclosed block runs under ``request_id``."""
    token = bind_request_id(request_id)
    try:
        yield
    finally:
        reset_request_id(token)
