"""PostgreSQL and Redis for the tests, started once per test session (deploy/services.py).

* :func:`pg_test_url` -- the URL of a PostgreSQL database for the tests: ``HANDOFF_TEST_PG_URL``
  when set, otherwise a server of our own on loopback (installed from Debian's packages when
  missing), started on first use and stopped when the test process exits. The hand-off store
  tests (tests/bot/handoff/conftest.py) run on it as well as on SQLite, so they always run in CI.
* :func:`session_redis` -- a Redis server of our own, the same way.

When neither the variable nor a server of our own can be had, CI (``CI`` set) fails loudly;
elsewhere the PostgreSQL variants are left out with a warning.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import warnings
from pathlib import Path
from typing import Optional

from deploy.services import Postgres, Redis, ServiceError

PG_ENV = "HANDOFF_TEST_PG_URL"
_postgres: Optional[Postgres] = None
_redis: Optional[Redis] = None
_failed: Optional[str] = None


def session_postgres() -> Postgres:
    global _postgres
    if _postgres is None:
        directory = Path(tempfile.mkdtemp(prefix="kasa-test-pg-"))
        server = Postgres(directory)
        atexit.register(server.stop)
        _postgres = server.start()
    return _postgres


def session_redis() -> Redis:
    global _redis
    if _redis is None:
        server = Redis(Path(tempfile.mkdtemp(prefix="kasa-test-redis-")))
        atexit.register(server.stop)
        _redis = server.start()
    return _redis


def pg_test_url() -> Optional[str]:
    """HANDOFF_TEST_PG_URL, or a database on a PostgreSQL of our own (then also put there)."""
    global _failed
    if os.environ.get(PG_ENV):
        return os.environ[PG_ENV]
    if _failed is None:
        try:
            os.environ[PG_ENV] = session_postgres().create_database("handoff_tests")
            return os.environ[PG_ENV]
        except (ServiceError, OSError) as error:
            _failed = str(error)
    if os.environ.get("CI"):
        raise RuntimeError(f"PostgreSQL for the tests could not be started: {_failed}")
    warnings.warn(f"PostgreSQL tests left out: {_failed}", stacklevel=2)
    return None
