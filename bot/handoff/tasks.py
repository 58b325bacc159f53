"""Background loops of the hand-off (the outbox worker, the support group)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Optional


async def cancel(task: "Optional[asyncio.Task[None]]") -> None:
    """Stop a background loop and wait until it has ended, whatever it raised on the way out."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
