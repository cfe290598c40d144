"""With Redis, a tab whose web process was killed keeps its token on the process it reconnects to; a tab whose
token is held by a live process (a duplicated browser tab) still gets a new one, as Reflex decides."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import redis.asyncio as aioredis

from ava_app.state.tab_handover import HandoverTokenManager, alive_channel

pytestmark = pytest.mark.skipif(not os.environ.get("AVA_REDIS_URL"), reason="needs AVA_REDIS_URL")

# A web process in miniature: it links a tab's token to its socket, says so, then runs until it is killed.
_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    import redis.asyncio as aioredis
    from ava_app.state.tab_handover import HandoverTokenManager

    async def main():
        manager = HandoverTokenManager(aioredis.Redis.from_url(sys.argv[1]))
        await manager.link_token_to_sid(sys.argv[2], "sid-of-the-killed-process")
        await asyncio.wait_for(manager._subscribed.wait(), 10)
        print(manager.instance_id, flush=True)
        await asyncio.sleep(600)

    asyncio.run(main())
    """
)


async def _owner(client: aioredis.Redis, manager: HandoverTokenManager, token: str) -> str | None:
    import pickle

    raw = await client.get(manager._get_redis_key(token))
    return pickle.loads(raw).instance_id if raw else None


async def test_a_killed_processs_tab_keeps_its_token_and_a_live_ones_does_not():
    url = os.environ["AVA_REDIS_URL"]
    client = aioredis.Redis.from_url(url)
    survivor = HandoverTokenManager(aioredis.Redis.from_url(url))
    killed_token, live_token = f"tab-{os.getpid()}-killed", f"tab-{os.getpid()}-live"
    process = subprocess.Popen([sys.executable, "-c", _PROCESS, url, killed_token], stdout=subprocess.PIPE, text=True)
    try:
        other = HandoverTokenManager(aioredis.Redis.from_url(url))
        await other.link_token_to_sid(live_token, "sid-on-the-live-process")
        await asyncio.wait_for(other._subscribed.wait(), 10)
        dead_instance = (await asyncio.to_thread(process.stdout.readline)).strip()
        assert await _owner(client, survivor, killed_token) == dead_instance
        assert (await client.pubsub_numsub(alive_channel(dead_instance)))[0][1] == 1

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        # Its record is still there (a killed process deletes nothing), but nobody listens on its channel any more.
        assert await _owner(client, survivor, killed_token) == dead_instance
        for _ in range(50):
            if (await client.pubsub_numsub(alive_channel(dead_instance)))[0][1] == 0:
                break
            await asyncio.sleep(0.1)

        # The tab reconnects here: same token, so Reflex loads the same page state.
        assert await survivor.link_token_to_sid(killed_token, "sid-after-reconnect") is None
        assert await _owner(client, survivor, killed_token) == survivor.instance_id
        # A token whose process is alive is a duplicated tab: Reflex hands it a new token, as before.
        new_token = await survivor.link_token_to_sid(live_token, "sid-of-a-duplicated-tab")
        assert new_token not in (None, live_token)
        assert await _owner(client, survivor, live_token) == other.instance_id
        await other.close()
    finally:
        if process.poll() is None:
            process.kill()
        await survivor.close()
        await client.delete(survivor._get_redis_key(killed_token), survivor._get_redis_key(live_token))
        await client.aclose()
