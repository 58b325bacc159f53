"""Rasa's Redis lock store, with every change of a lock made atomically.

Configured in endpoints.yml (deploy/endpoints.yml)::

    lock_store:
      type: server.lock_store.KasaRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      key_prefix: kasa

Rasa 3.6's ``RedisLockStore`` keeps a conversation's ticket queue as one JSON value and changes it
by read, modify, write, with nothing in between to stop another server doing the same. With two
Rasa servers that loses updates: a finished turn's ticket written back by a waiter that read the
queue a moment earlier, a new ticket dropped, a lock deleted under a waiter. In the load benchmark
(200 conversations, a server killed with SIGKILL) conversations then waited for a ticket that was
already served, past the proxy's 120 s. Here each change runs inside ``WATCH``/``MULTI`` and is
tried again when the queue changed meanwhile, and the key expires with its last ticket, so a lock
left by a crashed server goes away by itself.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any, Callable, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

#: How long one change keeps trying while other servers change the same lock.
CHANGE_BUDGET_S = 5.0


class KasaRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, host: Text = "localhost", **kwargs: Any) -> None:
        # Rasa builds a custom lock store from its endpoint configuration alone.
        if endpoint_config is not None:
            host = endpoint_config.url or host
            kwargs = {**endpoint_config.kwargs, **kwargs}
        super().__init__(host=host, **kwargs)

    def _change(self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Any]) -> Any:
        """Apply ``change`` to the lock atomically; it returns (new lock or None to delete, result)."""
        key = self.key_prefix + conversation_id
        deadline = time.monotonic() + CHANGE_BUDGET_S
        attempt = 0
        while True:
            attempt += 1
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None or not new.tickets:
                        pipe.delete(key)
                    else:
                        last = max(ticket.expires for ticket in new.tickets)
                        pipe.set(key, new.dumps(), px=max(1000, int((last - time.time()) * 1000) + 1000))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    if time.monotonic() > deadline:
                        raise LockError(
                            f"the lock of {conversation_id} kept changing; gave up after {attempt} attempts"
                        ) from None
            # Retrying at once let the same writers collide again and again (50 immediate attempts
            # ran out with four threads on a busy machine): a random pause, up to 2, 4, ... 50 ms,
            # spreads them. Rasa polls for its ticket anyway.
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]):
            lock = lock or TicketLock(conversation_id)
            number = lock.issue_ticket(lock_lifetime)
            return lock, number

        return self._change(conversation_id, change)

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]):
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # One atomic step: removing our ticket deletes the key when no one else is waiting.
        self.finish_serving(conversation_id, ticket_number)
