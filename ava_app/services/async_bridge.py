"""Running an async provider client (aiosmtplib, the Twilio/OpenAI async paths) from synchronous service code."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from sync code, also when an event loop already runs in this thread.

    With a running loop the coroutine gets a loop of its own in a worker thread: the caller's thread waits, so callers
    on an event loop thread must themselves be off-loaded (``asyncio.to_thread``) to keep the loop serving.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
