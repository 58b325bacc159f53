"""The Telegram bridge's memory in a SQL database, shared by every bot process that serves one bot.

With two Rasa servers behind a load balancer (or a webhook server and a polling
process by mistake), Telegram's retries of one update can reach both, a customer's
two taps on one keyboard can reach one each, and a button's token may come back
to the process that did not make it. :class:`SQLState` keeps what
:class:`bot.clients.telegram.bridge_state.MemoryState` keeps in one process in the database:

* ``telegram_updates``: update ids seen (kept ``keep_updates``; Telegram gives up
  redelivering after 24 hours);
* ``telegram_tokens``: the tokens of payloads longer than ``callback_data``'s 64
  bytes (kept ``keep_tokens``; an older button answers "expired");
* ``telegram_keyboards`` and ``telegram_chats``: the keyboards still open and,
  per chat, the newest message whose question was answered.

PostgreSQL in production (the hand-off's database, ``HANDOFF_DB_URL``); SQLite
works for one machine. The database work runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, List, Optional, TypeVar

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.clients.telegram.bridge_state import TelegramState
from bot.clients.telegram.callbacks import TOKEN_PREFIX, CallbackData

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Where the bridge keeps its memory: ``memory`` (one process; the default), ``database`` (the
#: hand-off's database, ``HANDOFF_DB_URL``) or a SQLAlchemy URL.
STATE_ENV = "TELEGRAM_STATE"

metadata = MetaData()
updates_table = Table(
    "telegram_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)
tokens_table = Table(
    "telegram_tokens",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("chat_id", BigInteger, nullable=False, index=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)
keyboards_table = Table(
    "telegram_keyboards",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("message_id", BigInteger, primary_key=True, autoincrement=False),
)
chats_table = Table(
    "telegram_chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("closed_upto", BigInteger, nullable=False),
)

#: Prune old rows after this many inserts (per process).
PRUNE_EVERY = 500


def _now() -> datetime:
    return datetime.now(timezone.utc)


def state_from_setting(setting: Optional[str] = None) -> Optional[TelegramState]:
    """The state a setting (else ``$TELEGRAM_STATE``) names; None for this process's memory."""
    from bot import settings

    value = (setting if setting is not None else settings.telegram_state()).strip()
    if value in ("", "memory"):
        return None
    state = SQLState(None if value == "database" else value)
    logger.info("Telegram: updates, button tokens and keyboards kept in %r", state)
    return state


class SQLState(TelegramState):
    def __init__(
        self,
        url: Optional[str] = None,
        *,
        engine: Optional[Engine] = None,
        keep_updates: timedelta = timedelta(days=2),
        keep_tokens: timedelta = timedelta(days=30),
    ):
        from bot.handoff.store.database import make_engine, resolve_url

        self.engine = engine if engine is not None else make_engine(resolve_url(url))
        self.keep_updates = keep_updates
        self.keep_tokens = keep_tokens
        self._inserts = 0
        metadata.create_all(self.engine)

    def __repr__(self) -> str:
        return f"SQLState({self.engine.url.render_as_string(hide_password=True)})"

    async def _run(self, work: Callable[[Connection], T]) -> T:
        def in_transaction() -> T:
            with self.engine.begin() as connection:
                return work(connection)

        return await asyncio.to_thread(in_transaction)

    def _maybe_prune(self, connection: Connection) -> None:
        self._inserts += 1
        if self._inserts % PRUNE_EVERY:
            return
        now = _now()
        connection.execute(delete(updates_table).where(updates_table.c.seen_at < now - self.keep_updates))
        connection.execute(delete(tokens_table).where(tokens_table.c.created_at < now - self.keep_tokens))

    # -- updates ---------------------------------------------------------------------- #

    async def first_sight(self, update_id: int) -> bool:
        def work(connection: Connection) -> bool:
            self._maybe_prune(connection)
            connection.execute(insert(updates_table).values(update_id=update_id, seen_at=_now()))
            return True

        try:
            return await self._run(work)
        except IntegrityError:
            return False

    # -- button payloads ---------------------------------------------------------------- #

    async def data_for(self, chat_id: int, payload: str) -> str:
        if CallbackData.fits(payload):
            return payload

        def work(connection: Connection) -> str:
            known = connection.execute(
                select(tokens_table.c.token)
                .where(tokens_table.c.chat_id == chat_id, tokens_table.c.payload == payload)
                .limit(1)
            ).scalar()
            if known is not None:
                return str(known)
            self._maybe_prune(connection)
            token = TOKEN_PREFIX + secrets.token_urlsafe(9)
            connection.execute(
                insert(tokens_table).values(token=token, chat_id=chat_id, payload=payload, created_at=_now())
            )
            return token

        return await self._run(work)

    async def payload_for(self, chat_id: int, data: Optional[str]) -> Optional[str]:
        if not data:
            return None
        if not data.startswith(TOKEN_PREFIX):
            return data

        def work(connection: Connection) -> Optional[str]:
            return connection.execute(
                select(tokens_table.c.payload).where(tokens_table.c.token == data, tokens_table.c.chat_id == chat_id)
            ).scalar()

        return await self._run(work)

    # -- keyboards ---------------------------------------------------------------------- #

    async def keyboard_sent(self, chat_id: int, message_id: int) -> None:
        def work(connection: Connection) -> None:
            connection.execute(insert(keyboards_table).values(chat_id=chat_id, message_id=message_id))

        try:
            await self._run(work)
        except IntegrityError:  # the same message twice: already open
            pass

    async def keyboard_closed(self, chat_id: int, message_id: int) -> bool:
        def work(connection: Connection) -> bool:
            upto = connection.execute(
                select(chats_table.c.closed_upto).where(chats_table.c.chat_id == chat_id)
            ).scalar()
            return upto is not None and message_id <= upto

        return await self._run(work)

    async def close_keyboards(self, chat_id: int, pressed: Optional[int] = None) -> Optional[List[int]]:
        def work(connection: Connection) -> Optional[List[int]]:
            self._chat_row(connection, chat_id)
            chat = chats_table.c
            if pressed is not None:
                # the compare-and-set that makes one of two simultaneous taps the winner: the
                # loser's UPDATE waits for the winner's row lock, then matches no row
                won = connection.execute(
                    update(chats_table)
                    .where(chat.chat_id == chat_id, chat.closed_upto < pressed)
                    .values(closed_upto=pressed)
                ).rowcount
                if not won:
                    return None
            else:
                # lock the chat's row, so a tap in flight waits for this
                connection.execute(
                    update(chats_table).where(chat.chat_id == chat_id).values(closed_upto=chat.closed_upto)
                )
            ids = set(
                connection.execute(
                    select(keyboards_table.c.message_id).where(keyboards_table.c.chat_id == chat_id)
                ).scalars()
            )
            if pressed is not None:
                ids.add(pressed)
            if not ids:
                return []
            connection.execute(
                update(chats_table)
                .where(chat.chat_id == chat_id, chat.closed_upto < max(ids))
                .values(closed_upto=max(ids))
            )
            connection.execute(
                delete(keyboards_table).where(
                    keyboards_table.c.chat_id == chat_id, keyboards_table.c.message_id.in_(sorted(ids))
                )
            )
            return sorted(ids)

        return await self._run(work)

    def _chat_row(self, connection: Connection, chat_id: int) -> None:
        """Make sure the chat has its row (the lock that serializes its keyboards)."""
        if connection.execute(select(chats_table.c.chat_id).where(chats_table.c.chat_id == chat_id)).first():
            return
        statement: Any
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = dialect_insert(chats_table).values(chat_id=chat_id, closed_upto=0).on_conflict_do_nothing()
        connection.execute(statement)

    async def close(self) -> None:
        await asyncio.to_thread(self.engine.dispose)
