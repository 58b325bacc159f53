"""Rasa's SQL tracker store, made to fail loudly, to stay off the event loop and to stay small.

Configured in endpoints.yml::

    tracker_store:
      type: server.tracker_store.KasaTrackerStore
      dialect: sqlite            # or a whole SQLAlchemy URL in `url:` (PostgreSQL)
      db: var/tracker.db
      # max_session_events: 300  # or KASA_MAX_SESSION_EVENTS
      # busy_timeout_s: 5        # SQLite: how long a write waits for another writer
      #                          # (or KASA_SQLITE_BUSY_TIMEOUT_S)

What differs from Rasa 3.6's ``SQLTrackerStore``:

* **No silent in-memory fallback.** Rasa's ``Agent`` wraps every tracker store in
  ``FailSafeTrackerStore``: when a save fails it logs and keeps the tracker in memory (the reply
  looks normal, nothing is stored, and the customer's next answer is applied to the question
  before); when a read fails it returns ``None`` and the conversation starts over. The Rasa
  server's launcher (server/rasa_main.py) calls :func:`install`, which makes the agent use
  :class:`StrictTrackerStore` instead; it lets the error through, so the channel can tell the
  customer that the turn did not count (rasa_channels/rest_channel.py). Importing this module
  patches nothing; a server started without the launcher keeps Rasa's fallback, says so in its log
  and fails its health check (server/health.py). A
  custom store that cannot be constructed would also make Rasa fall back to memory (it catches
  ``ImportError``/``AttributeError``); those are turned into ``RuntimeError`` here so the server
  does not start.
* **Off the event loop.** SQLAlchemy calls are blocking; a SQLite write waiting for another
  writer held every conversation of the server for up to 5 s. They run in a small thread pool.
* **A bound on the live session.** Rasa reads and replays every event of the current session on
  each turn. When a session passes ``max_session_events`` events, the store closes it with a
  checkpoint: a ``session_started`` event (metadata ``{"kasa_checkpoint": true}``), the current
  value of every slot that is set (so the diagnosis, in the ``conversation`` slot, is never lost)
  and ``action_listen``. Older events stay in the table (the hand-off transcript reads them); Rasa
  only stops loading them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Text

import rasa.core.agent
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot import settings

logger = logging.getLogger(__name__)

# KASA_MAX_SESSION_EVENTS: 300, about 50 turns (a diagnosis takes 5 to 15)
DEFAULT_MAX_SESSION_EVENTS = int(settings.default_number("KASA_MAX_SESSION_EVENTS"))
DEFAULT_BUSY_TIMEOUT_S = settings.default_number("KASA_SQLITE_BUSY_TIMEOUT_S")
DEFAULT_THREADS = int(settings.default_number("KASA_STORE_THREADS"))
CHECKPOINT_KEY = "kasa_checkpoint"


class TrackerStoreUnavailable(RuntimeError):
    """The conversation could not be read or written; the turn must not count."""


class StrictTrackerStore(FailSafeTrackerStore):
    """The agent's wrapper without the fallback: every error reaches the caller."""

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[Text]:
        return await self._tracker_store.keys()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._tracker_store.save(tracker)

    @property
    def primary(self) -> TrackerStore:
        return self._tracker_store


def install() -> None:
    """Make Rasa's Agent wrap tracker stores in StrictTrackerStore (it looks the name up per agent)."""
    rasa.core.agent.FailSafeTrackerStore = StrictTrackerStore


def installed() -> bool:
    """Whether the agents built from now on wrap their tracker store in StrictTrackerStore."""
    return rasa.core.agent.FailSafeTrackerStore is StrictTrackerStore


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


class KasaTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Any = None,
        host: Optional[Text] = None,
        max_session_events: Any = None,
        busy_timeout_s: Any = None,
        threads: Any = None,
        **kwargs: Any,
    ) -> None:
        url = kwargs.pop("url", None) or host
        self.max_session_events = (
            _positive_int(max_session_events, DEFAULT_MAX_SESSION_EVENTS)
            if max_session_events
            else settings.max_session_events()
        )
        try:
            self.busy_timeout_s = float(busy_timeout_s) if busy_timeout_s else settings.sqlite_busy_timeout_s()
            super().__init__(domain=domain, host=url, **kwargs)
        except (ImportError, AttributeError) as error:
            # Rasa would quietly use an in-memory store instead; better not to start at all.
            raise RuntimeError(f"the tracker store cannot be set up: {error!r}") from error
        if self.engine.dialect.name == "sqlite":
            # Rasa leaves pysqlite's 5 s default and same-thread check; we use worker threads.
            self.engine.dispose()
            self.engine = sa.create_engine(
                self.engine.url,
                connect_args={"timeout": self.busy_timeout_s, "check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        elif self.engine.dialect.name == "postgresql":
            # After a failover or a restart of the database every pooled connection is dead; without
            # a ping the next turn of each would fail (and be answered "please send that again").
            self.engine.dispose()
            self.engine = sa.create_engine(
                self.engine.url, pool_pre_ping=True, **create_engine_kwargs(str(self.engine.url))
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._pool = ThreadPoolExecutor(
            max_workers=_positive_int(threads, DEFAULT_THREADS) if threads else settings.store_threads(),
            thread_name_prefix="tracker-store",
        )
        if not installed():
            logger.warning(
                "the Rasa server was not started with its launcher (python -m server.rasa_main run ...): "
                "a conversation that cannot be read or written falls back to memory, and a failed action "
                "call is not retried"
            )

    # -- off the event loop ---------------------------------------------------------------------

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def keys(self) -> Iterable[Text]:
        return await self._in_thread(self._keys_sync)

    def _keys_sync(self) -> List[Text]:
        with self.session_scope() as session:
            return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct().all()]

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await self._in_thread(self._retrieve_sync, sender_id, fetch_events_from_all_sessions)

    def _retrieve_sync(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [json.loads(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await self._in_thread(self._save_sync, tracker)

    def _save_sync(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            new = list(tracker.events)[stored:]
            for event in new:
                session.add(self._row(tracker.sender_id, event))
            if stored + len(new) > self.max_session_events:
                checkpoint = self.checkpoint(tracker)
                for event in checkpoint:
                    session.add(self._row(tracker.sender_id, event))
                logger.info(
                    "conversation %s passed %d events in one session; checkpoint with %d slot(s)",
                    tracker.sender_id,
                    self.max_session_events,
                    len(checkpoint) - 2,
                )
            session.commit()

    def _row(self, sender_id: Text, event: Event) -> Any:
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    @staticmethod
    def checkpoint(tracker: DialogueStateTracker) -> List[Event]:
        """Events that start a new session holding the tracker's current slot values."""
        now = max(time.time(), max((e.timestamp for e in tracker.events), default=0.0))
        events: List[Event] = [SessionStarted(timestamp=now, metadata={CHECKPOINT_KEY: True})]
        for name, slot in tracker.slots.items():
            if slot.value != slot.initial_value:
                events.append(SlotSet(name, slot.value, timestamp=now))
        events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=now))
        return events

    # -- health ---------------------------------------------------------------------------------

    async def probe(self, timeout_s: float = 3.0) -> Dict[str, Any]:
        """Whether a conversation can be read and written now (see server/health.py)."""
        from server.health import probe_engine

        return await probe_engine(self.engine, timeout_s)
