"""The variables of where state is kept: the SQL database of the tickets, and Redis shared by servers."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import DATABASE, REDIS, Variable

#: Where tickets live (and, by default, Rasa's tracker store: endpoints.yml ``db: var/tracker.db``).
DEFAULT_DB_URL = "sqlite:///var/tracker.db"

VARIABLES: Tuple[Variable, ...] = (
    Variable(
        "HANDOFF_DB_URL",
        DATABASE,
        str,
        DEFAULT_DB_URL,
        "SQLAlchemy URL of the tickets (scripts/run: $KASA_VAR_DIR/tracker.db, beside the conversations)",
    ),
    # ---- Redis -----------------------------------------------------------------------------------
    Variable(
        "KASA_REDIS_URL",
        REDIS,
        str,
        None,
        "Redis shared by several servers: web chat replies reach all, retried turns are seen (unset: one server)",
    ),
)
