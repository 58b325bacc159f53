"""Delivery of the hand-off outbox: what an agent did reaches the customer live, on their channel.

Agents (CLI, API, the support group) only write to the database: a message, a claim, a hand-back,
a resolve each becomes an outbox row (bot.handoff.store). A process that holds a customer channel
runs one :class:`OutboxWorker`; each channel registers how to reach a conversation. The worker
looks at the outbox every ``HANDOFF_OUTBOX_POLL`` seconds (0.25), leases a conversation's rows and
asks the channel to deliver them, which it does by sending the bot ``/handoff_event`` for that
conversation: the bot's action takes the rows (marking them delivered in the same transaction), says
them in words and moves the conversation on (a hand-back resumes the diagnosis), and the channel
sends its answer like any other.

So nothing is lost across a restart: a row stays until the bot has taken it, and a lease that runs
out (the action server was down) is tried again. Nothing is said twice: only one action can take a
row. A conversation whose customer is not connected (a closed web chat) waits until they are; a REST
customer gets the rows with their next message (or by sending ``/handoff_event``).

The same loop tells customers when no agent claimed their case within ``HANDOFF_CLAIM_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Optional, Set

from bot.handoff.live import claim_timeout, outbox_poll
from bot.handoff.tasks import cancel

logger = logging.getLogger(__name__)

#: Seconds between two looks for tickets nobody claimed in time.
UNCLAIMED_EVERY = 5.0


@dataclass
class Route:
    """How one channel reaches a conversation."""

    deliver: Callable[[str], Awaitable[Any]]  # ask the bot for the conversation's news and send it
    ready: Callable[[str], bool] = lambda _conversation: True  # can the customer be reached now?


class OutboxWorker:
    """One per process: polls the outbox and hands each due conversation to its channel's route."""

    def __init__(self, store: Any, poll: Optional[float] = None, unclaimed_after: Optional[float] = None):
        self.store = store
        self.poll = outbox_poll() if poll is None else poll
        self.unclaimed_after = claim_timeout() if unclaimed_after is None else unclaimed_after
        self.routes: Dict[str, Route] = {}
        self._task: Optional["asyncio.Task[None]"] = None
        self._busy: Set[str] = set()
        self._wake: Optional[asyncio.Event] = None
        self._last_unclaimed = 0.0
        self.delivered = 0

    def register(
        self, channel: str, deliver: Callable[[str], Awaitable[Any]], ready: Optional[Callable] = None
    ) -> None:
        self.routes[channel] = Route(deliver, ready or (lambda _c: True))

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    def wake(self) -> None:
        """Look now (a customer just connected)."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _blocking(self, method: str, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, lambda: getattr(self.store, method)(*args))

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away for a moment: try again
                logger.warning("hand-off outbox: %s: %s", type(error).__name__, error)
            assert self._wake is not None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)
            self._wake.clear()

    async def tick(self) -> int:
        """One look: start delivering every due conversation that can be reached; how many."""
        if not self.routes:
            return 0
        now = time.monotonic()
        if self.unclaimed_after and now - self._last_unclaimed >= UNCLAIMED_EVERY:
            self._last_unclaimed = now
            flagged = await self._blocking("flag_unclaimed", self.unclaimed_after)
            if flagged:
                logger.info("hand-off: no agent claimed %s in time; the customers are told", ", ".join(flagged))
        started = 0
        for channel, conversation in await self._blocking("outbox_due_routes", list(self.routes)):
            route = self.routes.get(channel)
            if route is None or conversation in self._busy:
                continue
            try:
                if not route.ready(conversation):
                    continue
            except Exception:
                logger.exception("hand-off outbox: cannot tell whether %s is reachable", conversation)
                continue
            if not await self._blocking("lease_outbox", conversation):
                continue
            self._busy.add(conversation)
            started += 1
            asyncio.ensure_future(self._deliver(route, conversation))
        return started

    async def _deliver(self, route: Route, conversation: str) -> None:
        try:
            await route.deliver(conversation)
            self.delivered += 1
        except Exception:  # the lease runs out and the next look tries again
            logger.exception("hand-off outbox: delivery to %s failed", conversation)
        finally:
            self._busy.discard(conversation)


_workers: Dict[int, OutboxWorker] = {}


def process_worker(store_factory: Optional[Callable[[], Any]] = None) -> Optional[OutboxWorker]:
    """This process's worker (one per event loop), started on first use; None when the ticket
    database cannot be opened (the bot then works as before, agents' messages wait)."""
    loop = asyncio.get_running_loop()
    worker = _workers.get(id(loop))
    if worker is None:
        try:
            if store_factory is None:
                from bot.handoff.store import TicketStore

                store_factory = TicketStore
            store = store_factory()
        except Exception:
            logger.exception("hand-off outbox: the ticket database cannot be opened; live delivery is off")
            return None
        worker = _workers[id(loop)] = OutboxWorker(store)
        worker.start()
    return worker


__all__ = ["OutboxWorker", "Route", "process_worker"]
