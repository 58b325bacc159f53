"""Turns already answered, so that a retried call of an action never applies an answer twice.

The Rasa server retries an action call once when it failed on the way (server/action_call.py).
The first call may have run all the same, with its answer lost on the way back. The retry carries
the same tracker, so the turn is known by its key: the conversation, the id of its latest user
message and the number of events. The first result (bot messages and events) is kept here and
handed out again for the same key, without running the conversation a second time; its side
effects (a ticket opened, a message kept for the agent) happen once.

Kept in this process (the last 4096 turns, 10 minutes), and in Redis as well when
``KASA_REDIS_URL`` is set, so that a retry that reaches another action server behind the proxy is
recognised too. A Redis that cannot be reached only costs that second chance: the ledger in
memory still answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional

from bot import settings

logger = logging.getLogger(__name__)

TTL_S = 600
SIZE = 4096
REDIS_PREFIX = "kasa:turn:"


def turn_key(sender_id: str, events: List[Dict[str, Any]]) -> Optional[str]:
    """The key of the turn the tracker is at; None before the first user message."""
    for event in reversed(events or []):
        if isinstance(event, dict) and event.get("event") == "user":
            raw = f"{sender_id}\x1f{event.get('message_id')}\x1f{event.get('timestamp')}\x1f{len(events)}"
            return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:40]
    return None


class TurnLedger:
    def __init__(self, size: int = SIZE, ttl_s: float = TTL_S, redis_url: Optional[str] = None):
        self.size, self.ttl_s = size, ttl_s
        self._done: "OrderedDict[str, tuple]" = OrderedDict()
        self._lock = threading.Lock()
        self._redis = None
        if redis_url:
            try:
                import redis

                self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
            except Exception:
                logger.exception("turn ledger: Redis at KASA_REDIS_URL unusable; keeping turns in memory only")

    def get(self, key: str) -> Optional[Dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            found = self._done.get(key)
            if found is not None and now - found[0] < self.ttl_s:
                return found[1]
        if self._redis is not None:
            try:
                raw = self._redis.get(REDIS_PREFIX + key)
            except Exception as error:
                logger.warning("turn ledger: Redis read failed (%s)", error)
                return None
            if raw:
                return json.loads(raw)
        return None

    def put(self, key: str, result: Dict[str, Any]) -> None:
        with self._lock:
            self._done[key] = (time.monotonic(), result)
            self._done.move_to_end(key)
            while len(self._done) > self.size:
                self._done.popitem(last=False)
        if self._redis is not None:
            try:
                self._redis.set(REDIS_PREFIX + key, json.dumps(result, default=str), ex=int(self.ttl_s))
            except Exception as error:
                logger.warning("turn ledger: Redis write failed (%s)", error)

    def once(self, sender_id: str, events: List[Dict[str, Any]], dispatcher: Any, run: Callable[[], List[Any]]):
        """``run()``'s events, or those of the first run of this turn (its messages replayed)."""
        key = turn_key(sender_id, events)
        if key is not None:
            done = self.get(key)
            if done is not None:
                logger.info("turn of %s seen before (a retried call); answering as the first time", sender_id)
                dispatcher.messages.extend(done["messages"])
                return done["events"]
        before = len(dispatcher.messages)
        result = run()
        if key is not None:
            self.put(key, {"messages": list(dispatcher.messages[before:]), "events": list(result)})
        return result


_ledger: Optional[TurnLedger] = None


def ledger() -> TurnLedger:
    global _ledger
    if _ledger is None:
        _ledger = TurnLedger(redis_url=settings.redis_url())
    return _ledger
