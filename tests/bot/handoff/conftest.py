"""Fixtures of the hand-off tests: fixed cases (built by the real controller, see data/), a fixed
clock, stores on SQLite (always) and PostgreSQL (when HANDOFF_TEST_PG_URL points at a server).

Golden files: ``pytest tests/bot/handoff --update-golden`` (or ``UPDATE_GOLDEN=1``) rewrites
tests/bot/handoff/golden/ from the current renderings; review the diff before committing.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from bot.handoff.store import TicketStore
from bot.handoff.store.rows import metadata
from tests.support.services import pg_test_url  # a PostgreSQL of our own unless HANDOFF_TEST_PG_URL

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
GOLDEN = HERE / "golden"
REPO_ROOT = HERE.parents[2]
PG_ENV = "HANDOFF_TEST_PG_URL"
T0 = datetime(2026, 3, 2, 9, 10, tzinfo=timezone.utc)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/bot/handoff/golden/* from the current renderings",
    )


def load_case(name: str) -> Dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


class Clock:
    """A clock that moves on by ``step`` every time it is read."""

    def __init__(self, start: datetime = T0 + timedelta(minutes=20), step: timedelta = timedelta(seconds=30)):
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        now = self.now
        self.now += self.step
        return now


def references(*refs: str):
    """A reference factory that hands out ``refs`` in order."""
    it = iter(refs)
    return lambda: next(it)


def _at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def pan_tilt_transcript() -> List[Dict[str, Any]]:
    """The conversation behind data/case_pan_tilt_return.json, with things that must be redacted/escaped."""
    return [
        {
            "who": "customer",
            "text": "Hi, my KC120 pan tilt does not move anymore. I've had it 3 weeks.",
            "timestamp": _at(0),
            "intent": "pan_tilt_stopped",
        },
        {"who": "bot", "text": "Understood: pan tilt stopped working.", "timestamp": _at(0.1)},
        {
            "who": "bot",
            "text": "When you press the pan/tilt arrows in the app, does the camera stay completely silent, "
            "or can you hear the motor try to move?",
            "timestamp": _at(0.1),
            "buttons": [
                "Completely silent, no movement",
                "I hear it try, but it jams",
                "How do I do that?",
                "Skip for now",
            ],
        },
        {"who": "customer", "text": "Completely silent, no movement", "timestamp": _at(1), "intent": "choose"},
        {
            "who": "bot",
            "text": "Please touch the camera's power adapter (the plug). Is it too hot to hold, warm but "
            "comfortable, or cool?",
            "timestamp": _at(1.1),
            "buttons": ["Too hot to hold", "Warm but comfortable", "Cool", "How do I do that?", "Skip for now"],
        },
        {"who": "customer", "text": "Cool", "timestamp": _at(2), "intent": "choose"},
        {
            "who": "bot",
            "text": "So support can tell you the right route, is the camera still within its return period "
            "or warranty?",
            "timestamp": _at(2.1),
            "buttons": ["Still within the return period", "Under warranty", "Out of warranty", "Not sure"],
        },
        {"who": "customer", "text": "Under warranty", "timestamp": _at(3), "intent": "choose"},
        {
            "who": "bot",
            "text": "The guide recommends returning the camera.\nThe camera needs replacing; there is no "
            "repair you can do at home.",
            "timestamp": _at(3.1),
        },
        {
            "who": "bot",
            "text": "Would you like me to pass this to our support team now, with everything we found?",
            "timestamp": _at(3.1),
            "buttons": ["Yes, connect me", "No, thanks"],
        },
        {
            "who": "customer",
            "text": "you can reach me at jane.doe@example.com or +1 (555) 010-4477, "
            "my wifi password is hunter2 if you need it",
            "timestamp": _at(4),
        },
        {
            "who": "customer",
            "text": "<script>alert('x')</script> **not bold** # not a heading\n- not a list | pipe",
            "timestamp": _at(4.5),
        },
        {"who": "customer", "text": "Yes, connect me", "timestamp": _at(5), "intent": "human_handoff"},
        {
            "who": "bot",
            "text": "I'm passing your case to our support team (reference K7QM4XPA).",
            "timestamp": _at(5.1),
            "buttons": ["Cancel, back to the bot"],
        },
    ]


def safety_transcript() -> List[Dict[str, Any]]:
    return [
        {"event": "user", "text": "the power adapter of my EC70 gets really hot", "timestamp": _at(0)},
        {
            "event": "bot",
            "text": "⚠️ Safety first: An adapter that is too hot to hold is a fire risk. Unplug it straight away.",
            "timestamp": _at(0.2),
            "buttons": [{"title": "Yes, it works now", "payload": "/choose{}"}, ("No change", "/choose{}")],
        },
        {
            "event": "user",
            "text": "i want a human. SSID Home pass Secret123, call me on 07700 900123",
            "timestamp": _at(1),
        },
    ]


def make_golden_tickets(store: TicketStore):
    """The fixed tickets behind the golden files (the store must use Clock() and references(...))."""
    escalation = store.create(
        "81234567", "telegram", "81234567", load_case("case_pan_tilt_return"), pan_tilt_transcript()
    )
    store.add_customer_message(escalation.reference, "hello? is anyone there")
    store.add_customer_message(escalation.reference, "pw: Tr0ub4dor&3 (the new one)")
    escalation = store.claim(escalation.reference, "alice")
    safety = store.create("web-3f9c", "socketio", "web-3f9c", load_case("case_adapter_safety"), safety_transcript())
    return {"escalation": store.get(escalation.reference), "safety": safety}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"


def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL: set {PG_ENV}=postgresql://user:password@host:port/db to run against a server")
    from sqlalchemy import create_engine

    try:
        engine = create_engine(url, future=True)
        with engine.connect():
            pass
    except Exception as error:
        pytest.skip(f"PostgreSQL at {PG_ENV} not reachable: {type(error).__name__}")
    metadata.drop_all(engine)
    engine.dispose()
    return url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests using ``db_url`` run on SQLite, and on PostgreSQL too when HANDOFF_TEST_PG_URL is set."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite"] + (["postgresql"] if pg_test_url() else []))


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The database of one test: SQLite in tmp_path, or a clean PostgreSQL (tables dropped)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
        return
    url = pg_url()
    yield url
    from sqlalchemy import create_engine

    engine = create_engine(url, future=True)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[TicketStore]:
    s = TicketStore(db_url, clock=Clock())
    yield s
    s.close()


@pytest.fixture
def golden_store(tmp_path: Path) -> Iterator[TicketStore]:
    s = TicketStore(
        f"sqlite:///{tmp_path / 'golden.db'}", clock=Clock(), reference_factory=references("K7QM4XPA", "R2D2C3PX")
    )
    yield s
    s.close()


@pytest.fixture
def golden_tickets(golden_store: TicketStore):
    """The tickets behind the golden files, by name: "escalation" and "safety"."""
    return make_golden_tickets(golden_store)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden", default=False)) or os.environ.get("UPDATE_GOLDEN") == "1"


def subprocess_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("HANDOFF_DB_URL", None)
    env.update(extra)
    return env
