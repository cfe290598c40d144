"""The caller's session, checked once per event chain rather than once per service call.

A user's action reaches the server as one event that may chain more: a page load is ``on_load_internal`` followed by
``require_login`` and the page's loader, a period switch is ``set_period`` followed by ``load_dashboard``. Each of
them used to authenticate the session cookie again (three or four queries and the sliding expiry). Reflex runs every
event of a chain with an ``EventContext`` that names the event (``txid``) and the event that chained it
(``parent_txid``): the principal checked by one event is kept under that chain's id and reused by its other events.

It is never reused by another action: each event the browser sends gets a fresh random id, so a session revoked, a
logout or an organisation switch is seen by the very next event the tab sends. Outside an event (tests calling a
handler directly, pushes through ``app.modify_state``) and in background events nothing is kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from ava_app.services.principal import Principal

try:  # Reflex's event context: where the event being processed, and the one that chained it, are named.
    from reflex_base.event.context import EventContext
except ImportError:  # pragma: no cover - a Reflex without it: every call checks the session
    EventContext = None  # type: ignore[assignment,misc]

# A chain's events run within milliseconds of each other; a check older than this is made again.
KEEP_SECONDS = 10.0
# Chains remembered at once by one process (the oldest go first).
MAX_CHAINS = 5_000

_lock = threading.Lock()
_checked: OrderedDict[tuple[str, str], tuple[float, Principal]] = OrderedDict()


def chain_id() -> str | None:
    """The id of the event chain being processed: the event that chained this one, else this event; None outside
    any event (or in a context that belongs to no event)."""
    if EventContext is None:
        return None
    try:
        context = EventContext.get()
    except LookupError:
        return None
    return context.parent_txid or context.txid or None


def checked(chain: str | None, cookie: str) -> Principal | None:
    """The principal this chain already checked for ``cookie``, if it did (and not too long ago)."""
    if chain is None or not cookie:
        return None
    with _lock:
        entry = _checked.get((chain, cookie))
    if entry is None or time.monotonic() - entry[0] > KEEP_SECONDS:
        return None
    return entry[1]


def remember(chain: str | None, cookie: str, principal: Principal) -> None:
    """Keep ``principal`` for the other events of ``chain``."""
    if chain is None or not cookie:
        return
    now = time.monotonic()
    with _lock:
        _checked[(chain, cookie)] = (now, principal)
        _checked.move_to_end((chain, cookie))
        while _checked and (len(_checked) > MAX_CHAINS or now - next(iter(_checked.values()))[0] > KEEP_SECONDS):
            _checked.popitem(last=False)


def forget(chain: str | None) -> None:
    """Drop what ``chain`` checked: after a logout, an organisation switch or a refusal, its next event checks
    again."""
    if chain is None:
        return
    with _lock:
        for key in [key for key in _checked if key[0] == chain]:
            del _checked[key]
