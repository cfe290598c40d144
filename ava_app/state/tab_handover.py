"""A tab whose web process died keeps its token, so the process it reconnects to finds its page state in Redis.

Reflex (with Redis) records which process holds each tab's websocket, to tell a duplicated browser tab (same token,
second socket) from a reconnection: a token whose record exists elsewhere gets a new token, hence a fresh page
state. A process stopped gracefully deletes its records; one killed (SIGKILL, out of memory, a lost machine) leaves
them for an hour, so every tab it held lost its page state when it reconnected to another process.

Here each process keeps a Redis subscription open to a channel named after its Reflex instance id. Redis drops a
subscription the moment its client's connection closes, and the kernel closes a killed process's connections, so a
record whose owner's channel has no subscriber is a dead process's leftover: it is deleted (only if unchanged)
before Reflex looks, and the tab keeps its token. A live owner (a genuinely duplicated tab) is left to Reflex.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from typing import Any

from reflex.utils.token_manager import RedisTokenManager

from ava_app.state.redis_locks import DELETE_IF_UNCHANGED

log = logging.getLogger(__name__)

_CHANNEL_PREFIX = "ava:reflex:alive:"


def alive_channel(instance_id: str) -> str:
    """The channel a process stays subscribed to for as long as it runs."""
    return _CHANNEL_PREFIX + instance_id


class HandoverTokenManager(RedisTokenManager):
    """Reflex's Redis token manager, except that a token held by a dead process is taken over, not replaced."""

    def __init__(self, redis: Any) -> None:
        super().__init__(redis)
        self._alive_task: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    def _ensure_alive(self) -> None:
        if self._alive_task is None or self._alive_task.done():
            self._alive_task = asyncio.create_task(self._stay_subscribed(), name="ava-reflex-alive")

    async def _stay_subscribed(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(alive_channel(self.instance_id))
                    self._subscribed.set()
                    async for _message in pubsub.listen():
                        pass
            except asyncio.CancelledError:
                raise
            except Exception:
                self._subscribed.clear()
                log.warning("tab handover: the liveness subscription dropped; renewing it", exc_info=True)
                await asyncio.sleep(1)

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        self._ensure_alive()
        held = self.token_to_socket.get(token)
        if held is None or held.sid != sid:
            await self._forget_dead_owner(token)
        return await super().link_token_to_sid(token, sid)

    async def _forget_dead_owner(self, token: str) -> None:
        """Delete ``token``'s socket record when the process it names no longer runs. Never raises."""
        key = self._get_redis_key(token)
        try:
            raw = await self.redis.get(key)
            if not raw:
                return
            owner = pickle.loads(raw).instance_id
            if owner == self.instance_id:
                return
            [(_channel, listeners)] = await self.redis.pubsub_numsub(alive_channel(owner))
            if listeners:
                return
            if await self.redis.eval(DELETE_IF_UNCHANGED, 1, key, raw):
                log.info("tab handover: a tab of a stopped process reconnected here and keeps its state")
            cached = self.token_to_socket.get(token)
            if cached is not None and cached.instance_id == owner:
                self.token_to_socket.pop(token, None)
                self.sid_to_token.pop(cached.sid, None)
        except Exception:
            log.warning("tab handover: could not check a tab's previous process", exc_info=True)

    async def close(self) -> None:
        if self._alive_task is not None:
            self._alive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._alive_task
        await super().close()


def hand_over_tabs_of_dead_processes(app: Any) -> None:
    """Lifespan hook: with Redis, give the socket's namespace the handover token manager (before any tab connects)."""
    namespace = getattr(app, "event_namespace", None)
    manager = getattr(namespace, "_token_manager", None)
    if isinstance(manager, RedisTokenManager) and not isinstance(manager, HandoverTokenManager):
        namespace._token_manager = HandoverTokenManager(manager.redis)  # type: ignore[union-attr]
