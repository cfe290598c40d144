"""With Redis, an event cancelled while it takes or gives back its tab's state lock does not leave the lock taken
(Reflex's own manager leaves it until it expires, 10 s later, and the tab's next events wait that long)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis.asyncio as aioredis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import StateToken

from ava_app.state.redis_locks import CancelSafeStateManagerRedis, use_cancel_safe_redis_locks

pytestmark = pytest.mark.skipif(not os.environ.get("AVA_REDIS_URL"), reason="needs AVA_REDIS_URL")

LOCK_MS = 10_000


def _manager(cls: type[StateManagerRedis], *, slow_take: bool = False, slow_give_back: bool = False):
    """A manager of ``cls`` on the test Redis whose lock replies can be held up: ``taken`` is set once Redis has
    answered the lock's ``SET NX`` (the event is then cancelled before it reads the answer), ``releasing`` once the
    release's ``GETDEL`` is about to go out (and it waits first, so a cancellation lands in it)."""

    class Slow(cls):  # type: ignore[valid-type,misc]
        taken = asyncio.Event()
        releasing = asyncio.Event()

        async def _try_get_lock(self, lock_key: bytes, lock_id: bytes):
            got = await super()._try_get_lock(lock_key, lock_id)
            if slow_take:
                self.taken.set()
                await asyncio.sleep(30)
            return got

    client = aioredis.Redis.from_url(os.environ["AVA_REDIS_URL"])
    manager = Slow(redis=client, lock_expiration=LOCK_MS, lock_warning_threshold=1000)
    if slow_give_back:
        real_getdel = client.getdel

        async def getdel(key):
            manager.releasing.set()
            await asyncio.sleep(30)
            return await real_getdel(key)

        client.getdel = getdel  # type: ignore[method-assign]
    return manager


def _token() -> StateToken:
    return StateToken(ident=f"lock-test-{uuid.uuid4().hex}", cls=dict)


async def _event(manager: StateManagerRedis, token: StateToken, *, hold: float = 0.0) -> None:
    async with manager.modify_state(token) as state:
        state["seen"] = True
        await asyncio.sleep(hold)


async def _cancelled_while_taking(cls: type[StateManagerRedis]) -> tuple[StateManagerRedis, StateToken]:
    manager, token = _manager(cls, slow_take=True), _token()
    event = asyncio.create_task(_event(manager, token))
    await asyncio.wait_for(manager.taken.wait(), 5)
    event.cancel()
    with pytest.raises(asyncio.CancelledError):
        await event
    return manager, token


async def test_reflexs_manager_leaves_the_lock_of_an_event_cancelled_while_taking_it():
    """The failure itself: Redis took the lock, the cancelled event never deletes it."""
    manager, token = await _cancelled_while_taking(StateManagerRedis)
    try:
        assert await manager.redis.get(manager._lock_key(token)) is not None
        assert await manager.redis.pttl(manager._lock_key(token)) > LOCK_MS - 5_000
    finally:
        await manager.redis.delete(manager._lock_key(token))
        await manager.close()


async def test_an_event_cancelled_while_taking_the_lock_gives_it_back_and_the_next_runs_at_once():
    manager, token = await _cancelled_while_taking(CancelSafeStateManagerRedis)
    try:
        assert await manager.redis.get(manager._lock_key(token)) is None
        # The tab's next event takes the lock straight away, not after the lock's 10 s.
        plain = _manager(CancelSafeStateManagerRedis)
        await asyncio.wait_for(_event(plain, token), 2)
        async with plain.modify_state(token) as state:
            assert state == {"seen": True}
        await plain.close()
    finally:
        await manager.redis.delete(manager._lock_key(token), str(token))
        await manager.close()


async def test_an_event_cancelled_again_while_giving_the_lock_back_still_gives_it_back():
    manager, token = _manager(CancelSafeStateManagerRedis, slow_give_back=True), _token()
    event = asyncio.create_task(_event(manager, token, hold=30))
    try:
        for _ in range(50):
            if await manager.redis.get(manager._lock_key(token)) is not None:
                break
            await asyncio.sleep(0.05)
        event.cancel()  # the page load is superseded while it holds the lock...
        await asyncio.wait_for(manager.releasing.wait(), 5)
        event.cancel()  # ...and cancelled once more while Reflex deletes the key
        with pytest.raises(asyncio.CancelledError):
            await event
        for _ in range(50):
            if await manager.redis.get(manager._lock_key(token)) is None:
                break
            await asyncio.sleep(0.05)
        assert await manager.redis.get(manager._lock_key(token)) is None
    finally:
        await manager.redis.delete(manager._lock_key(token), str(token))
        await manager.close()


async def test_a_lock_taken_by_another_event_meanwhile_is_left_alone():
    manager, token = _manager(CancelSafeStateManagerRedis), _token()
    key = manager._lock_key(token)
    try:
        await manager.redis.set(key, b"another-event", px=LOCK_MS)
        await manager._give_back(key, b"the-cancelled-event")
        assert await manager.redis.get(key) == b"another-event"
    finally:
        await manager.redis.delete(key)
        await manager.close()


def test_the_app_gets_the_cancel_safe_manager_only_in_place_of_reflexs_redis_one():
    class App:
        _state_manager: object

    app = App()
    original = StateManagerRedis(
        redis=aioredis.Redis.from_url(os.environ["AVA_REDIS_URL"]),
        token_expiration=120,
        lock_expiration=LOCK_MS,
        lock_warning_threshold=500,
    )
    app._state_manager = original
    use_cancel_safe_redis_locks(app)
    manager = app._state_manager
    assert type(manager) is CancelSafeStateManagerRedis
    assert (manager.redis, manager.token_expiration, manager.lock_expiration, manager.lock_warning_threshold) == (
        original.redis,
        120,
        LOCK_MS,
        500,
    )
    other = App()
    other._state_manager = sentinel = object()
    use_cancel_safe_redis_locks(other)
    assert other._state_manager is sentinel
