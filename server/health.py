"""Health checks that fail when the stores cannot be used, not only when the process is up.

A store is usable when a write goes through now: the probe inserts a row into ``kasa_health``
inside a transaction and rolls it back, so a locked SQLite file, a read-only database (a disk
remounted read-only, a PostgreSQL replica or ``default_transaction_read_only``), a database that
is down or a full disk all fail it, within ``timeout_s``. Nothing is left behind.

Used by the Rasa server's ``GET /health`` (tracker store, lock store; registered by
rasa_channels/rest_channel.py) and by the action server's ``GET /health`` (ticket store;
rasa_sdk_plugins/). Both answer 200 ``{"status": "ok", ...}`` or 503 ``{"status": "fail", ...}``
with one entry per store.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

PROBE_TABLE = "kasa_health"
_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _probe_engine_for(url: Any, timeout_s: float) -> Engine:
    """An engine of its own with short timeouts, so a probe never waits behind the pool."""
    key = f"{url}|{timeout_s}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            url = sa.engine.make_url(str(url)) if not isinstance(url, sa.engine.URL) else url
            ms = int(timeout_s * 1000)
            if url.get_backend_name() == "sqlite":
                connect_args: Dict[str, Any] = {"timeout": timeout_s, "check_same_thread": False}
            elif url.get_backend_name() == "postgresql":
                connect_args = {
                    "connect_timeout": max(1, int(timeout_s)),
                    "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
                }
            else:
                connect_args = {}
            engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args, future=True)
            _engines[key] = engine
        return engine


_tables_made: set = set()


def _write_probe(engine: Engine, timeout_s: float) -> None:
    table = sa.table(PROBE_TABLE, sa.column("checked_at"))
    with engine.connect() as connection:
        if str(engine.url) not in _tables_made:
            try:
                with connection.begin():
                    connection.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (checked_at FLOAT NOT NULL)"))
                _tables_made.add(str(engine.url))
            except sa.exc.SQLAlchemyError:
                pass  # two servers creating it at once, or read-only: the insert below tells
        transaction = connection.begin()
        try:
            connection.execute(sa.insert(table).values(checked_at=time.time()))
        finally:
            transaction.rollback()


async def probe_url(url: Any, timeout_s: float = 3.0) -> Dict[str, Any]:
    """{"ok": bool, "ms": float, "error"?: str} for a write probe of the database at ``url``."""
    started = time.monotonic()
    try:
        engine = _probe_engine_for(url, timeout_s)
        await asyncio.wait_for(asyncio.to_thread(_write_probe, engine, timeout_s), timeout_s + 1)
    except Exception as error:  # whatever it is, the store cannot be used right now
        detail = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
        return {"ok": False, "ms": round((time.monotonic() - started) * 1000, 1), "error": detail}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


async def probe_engine(engine: Engine, timeout_s: float = 3.0) -> Dict[str, Any]:
    return await probe_url(engine.url, timeout_s)


def redacted_url(url: Any) -> str:
    try:
        return sa.engine.make_url(str(url)).render_as_string(hide_password=True)
    except Exception:
        return "?"


async def probe_lock_store(lock_store: Any, timeout_s: float = 3.0) -> Dict[str, Any]:
    """Redis lock stores answer a PING; the in-memory one is always fine (one server only)."""
    started = time.monotonic()
    red: Optional[Any] = getattr(lock_store, "red", None)
    kind = type(lock_store).__name__
    if red is None:
        return {"ok": True, "type": kind, "ms": 0.0}
    try:
        await asyncio.wait_for(asyncio.to_thread(red.ping), timeout_s)
    except Exception as error:
        return {"ok": False, "type": kind, "error": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": True, "type": kind, "ms": round((time.monotonic() - started) * 1000, 1)}


async def rasa_health(app: Any, timeout_s: float = 3.0) -> Dict[str, Any]:
    """The Rasa server's health: model loaded, tracker store writable, lock store reachable."""
    from rasa.core.tracker_store import InMemoryTrackerStore

    from server.tracker_store import StrictTrackerStore

    agent = getattr(getattr(app, "ctx", None), "agent", None)
    checks: Dict[str, Any] = {}
    if agent is None or not agent.is_ready():
        checks["model"] = {"ok": False, "error": "no model loaded"}
    else:
        checks["model"] = {"ok": True}
    store = getattr(agent, "tracker_store", None)
    primary = store.primary if isinstance(store, StrictTrackerStore) else getattr(store, "_tracker_store", store)
    if store is None:
        checks["tracker_store"] = {"ok": False, "error": "no tracker store"}
    elif not isinstance(store, StrictTrackerStore):
        checks["tracker_store"] = {
            "ok": False,
            "error": "tracker store errors would be hidden by Rasa's in-memory fallback "
            "(the Rasa server must be started with its launcher: python -m server.rasa_main run ...)",
        }
    elif isinstance(primary, InMemoryTrackerStore):
        checks["tracker_store"] = {"ok": False, "error": "conversations are kept in memory only"}
    elif hasattr(primary, "probe"):
        result = await primary.probe(timeout_s)
        result["url"] = redacted_url(primary.engine.url)
        checks["tracker_store"] = result
    else:
        checks["tracker_store"] = {"ok": True, "type": type(primary).__name__, "note": "not probed"}
    if agent is not None:
        checks["lock_store"] = await probe_lock_store(agent.lock_store, timeout_s)
    ok = all(check.get("ok") for check in checks.values())
    return {"status": "ok" if ok else "fail", **checks}
