"""The database behind the store: its URL, an engine set up for SQLite or PostgreSQL, and the
hand-off tables, created when missing and completed with the columns added since."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from bot import settings
from bot.handoff.store.rows import metadata

logger = logging.getLogger(__name__)

DB_URL_ENV = "HANDOFF_DB_URL"

SQLITE_BUSY_TIMEOUT_S = 30.0


def resolve_url(url: Optional[str] = None) -> str:
    url = url or settings.handoff_db_url()
    if url.startswith("postgres://"):  # Heroku-style; SQLAlchemy 1.4 wants postgresql://
        url = "postgresql://" + url[len("postgres://") :]
    return url


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    database = parsed.database
    in_memory = not database or database == ":memory:" or parsed.query.get("mode") == "memory"
    kwargs: Dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}}
    if in_memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, or every session sees a new database
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised through every test
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # pragma: no cover
        # Take the write lock up front: a transaction that read first and writes later could
        # otherwise fail with SQLITE_BUSY instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def add_missing_columns(engine: Engine) -> None:
    """Columns added since a database was created (all nullable): ALTER TABLE ... ADD COLUMN."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
            logger.info("hand-off store: added column %s.%s", table.name, column.name)


def create_tables(engine: Engine) -> None:
    for attempt in range(3):
        try:
            metadata.create_all(engine)
            add_missing_columns(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            # Another process created them at the same moment (PostgreSQL); look again.
            if attempt == 2:
                raise
