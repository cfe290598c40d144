"""With Redis, a tab's state lock is given back even when the event holding or taking it is cancelled.

Reflex's Redis state manager locks a tab's state with ``SET <token>_lock <id> NX PX 10000`` around each event and
deletes the key when the event ends. A newer page load cancels the unfinished events of the tab's previous page load
(Reflex's ``supersedes``: the last ``set_is_hydrated`` of the previous on-load chain, typically). When that event is
cancelled while its ``SET NX`` is on its way, Redis takes the lock but the event never learns it did, so nothing
deletes the key: every later event of the tab (the new page's whole load) waits until the lock expires, 10 s later.
Under load, when events queue long enough for a newer navigation to overtake the previous one's tail, this held up
about half of the "open a call" navigations of the sessions bench (bench/README.md).

Here the lock is given back in both windows Reflex leaves open: a cancellation while the lock is being taken, and a
second cancellation while it is being released. The key is deleted only if it still holds this event's lock id, so
a lock another event took meanwhile stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from reflex.istate.manager.redis import StateManagerRedis

log = logging.getLogger(__name__)

# Delete a key only if it still holds the value given: what another holder wrote meanwhile stays.
DELETE_IF_UNCHANGED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class CancelSafeStateManagerRedis(StateManagerRedis):
    """Reflex's Redis state manager, except that a cancelled event never leaves its tab's lock taken."""

    async def _give_back(self, lock_key: bytes, lock_id: bytes) -> None:
        """Delete ``lock_key`` if ``lock_id`` still holds it, and wake this process's next waiter for it."""
        try:
            if await self.redis.eval(DELETE_IF_UNCHANGED, 1, lock_key, lock_id):  # type: ignore[misc]
                log.debug("state lock %s given back after a cancelled event", lock_key.decode(errors="replace"))
        finally:
            self._notify_next_waiter(lock_key)

    async def _wait_lock(self, lock_key: bytes, lock_id: bytes) -> None:
        try:
            await super()._wait_lock(lock_key, lock_id)
        except asyncio.CancelledError:
            # The SET NX may have reached Redis before the cancellation: give the lock back if it is ours. Shielded,
            # so a further cancellation cannot stop the delete half-way.
            await asyncio.shield(self._give_back(lock_key, lock_id))
            raise

    @contextlib.asynccontextmanager
    async def _lock(self, token: Any, event_name: str | None = None) -> AsyncIterator[bytes]:
        lock_id: bytes | None = None
        try:
            async with super()._lock(token, event_name=event_name) as lock_id:
                yield lock_id
        except asyncio.CancelledError:
            # A cancellation that lands while Reflex deletes the key can stop the delete: make sure it happened.
            if lock_id is not None:
                await asyncio.shield(self._give_back(self._lock_key(token), lock_id))
            raise


def use_cancel_safe_redis_locks(app: Any) -> None:
    """Give ``app`` the cancel-safe Redis state manager in place of Reflex's (at import, before the server starts);
    nothing changes without Redis."""
    manager = getattr(app, "_state_manager", None)
    if type(manager) is not StateManagerRedis:
        return
    app._state_manager = CancelSafeStateManagerRedis(
        redis=manager.redis,
        token_expiration=manager.token_expiration,
        lock_expiration=manager.lock_expiration,
        lock_warning_threshold=manager.lock_warning_threshold,
    )
