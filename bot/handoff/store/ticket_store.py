"""Hand-off tickets in SQL: what a support agent receives when the bot passes a case on.

The tables (prefix ``handoff_``) live beside Rasa's tracker store tables, in the same database
by default (``sqlite:///var/tracker.db``, relative to the working directory like Rasa's
``db: var/tracker.db``); ``HANDOFF_DB_URL`` points them elsewhere, e.g.
``postgresql://user:password@host:5432/rasa``. They are created when missing.

Every method is one unit of work in its own session and transaction; a write is committed
before the method returns, so a ticket survives a crash of the process right after ``create``.

On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (writers queue on the busy timeout
instead of failing half-way) and the database runs in WAL mode, so readers (Rasa, the agent's
CLI) are not blocked. On PostgreSQL a partial unique index keeps one open ticket per
conversation, and rows are locked (``SELECT ... FOR UPDATE``) while their status changes.

Stored data is raw (what the customer typed); every rendering redacts it (bot.handoff.render).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Optional

from sqlalchemy.engine import Engine, make_url

from bot.handoff.store.customer_outbox import CustomerOutbox
from bot.handoff.store.database import create_tables, make_engine, resolve_url
from bot.handoff.store.messages import TicketMessages
from bot.handoff.store.outcomes import OutcomeLog
from bot.handoff.store.references import new_reference
from bot.handoff.store.support_posts import SupportGroupPosts
from bot.handoff.store.tickets import TicketLifecycle
from bot.handoff.store.times import utcnow


class TicketStore(TicketLifecycle, TicketMessages, CustomerOutbox, SupportGroupPosts, OutcomeLog):
    """Tickets, customer messages kept for the agent, and conversation outcomes.

    ``url``: SQLAlchemy URL; default ``$HANDOFF_DB_URL`` or ``sqlite:///var/tracker.db``.
    ``clock`` and ``reference_factory`` are for tests (fixed times, forced collisions).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        reference_factory: Callable[[], str] = new_reference,
        engine: Optional[Engine] = None,
    ):
        self.url = resolve_url(url)
        self.engine = engine or make_engine(self.url)
        self._clock = clock
        self._new_reference = reference_factory
        create_tables(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "TicketStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TicketStore({make_url(self.url).render_as_string(hide_password=True)!r})"
