"""TicketStore: one ticket per escalation, the case in full, statuses, messages, outcomes, durability."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.handoff.store import HandoffError, TicketNotFound, TicketStateError, TicketStore
from bot.handoff.store.references import REFERENCE_ALPHABET
from tests.bot.handoff.conftest import (
    load_case,
    pan_tilt_transcript,
    pg_url,
    references,
    safety_transcript,
    subprocess_env,
)

CASE = load_case("case_pan_tilt_return")


def test_postgresql_backend():
    """The tests taking `db_url` also run on PostgreSQL when HANDOFF_TEST_PG_URL names a server."""
    store = TicketStore(pg_url())  # skips when not configured or not reachable
    t = store.create("pg-smoke", "rest", None, CASE, pan_tilt_transcript())
    assert store.get(t.reference) == t and store.engine.dialect.name == "postgresql"
    store.close()


def test_a_ticket_holds_the_whole_case(store):
    t = store.create("conv-1", "telegram", "81234567", CASE, pan_tilt_transcript())
    assert len(t.reference) == 8 and set(t.reference) <= set(REFERENCE_ALPHABET)
    assert (t.conversation_id, t.channel, t.customer_ref, t.status) == ("conv-1", "telegram", "81234567", "open")
    assert t.camera_model == "KC120" and t.in_use_for == "3 weeks" and t.in_use_days == 21.0
    assert t.symptoms == ["Kasa camera pan tilt stopped working"]
    assert [q["answer"] for q in t.questions] == [
        "Less than a month",
        "Completely silent, no movement",
        "Cool",
        "Solid green",
        "Under warranty",
    ]
    assert all(q["asked"] for q in t.questions)
    assert t.questions[0]["quote"] == "I've had it 3 weeks" and t.questions[0]["volunteered"]
    assert t.ranking[0]["cause"] == "motor_driver" and t.ranking[0]["name"] == "Pan/tilt motor driver failure"
    power = next(r for r in t.ruled_out if r["cause"] == "power_supply")
    assert power["sentence"] == 'Less likely: the customer answered: "Cool".'
    assert t.recommendation == "return" and t.route == "replace_camera"
    assert {th["id"] for th in t.thresholds} == {"pan_tilt_motor_failed", "motor_driver_sealed", "first_month"}
    assert t.warranty_hint == "Camera fails within first month (infant mortality)."
    assert t.warranty == "in_warranty"
    assert t.scenario["id"] == "F"
    assert t.reason == "customer asked for a person"
    assert t.created_at.tzinfo is not None and t.claimed_at is None
    assert len(t.transcript) == len(pan_tilt_transcript())
    assert t.transcript[2]["buttons"][0] == "Completely silent, no movement"
    assert t.transcript[0]["timestamp"] == "2026-03-02T09:10:00Z"
    assert t.case == CASE  # the raw case is kept as the bot built it
    assert store.get(t.reference) == t


def test_steps_and_safety_flags_are_kept(store):
    t = store.create("conv-2", "socketio", None, load_case("case_adapter_safety"), safety_transcript())
    assert t.safety == ["An adapter that is too hot to hold is a fire risk. Unplug it straight away."]
    assert t.steps_tried and t.steps_tried[0]["ref"] == "Step 1"
    assert t.recommendation == "human_support", "no escalation outcome: a person decides"
    assert t.cause == "power_supply"
    assert [e["who"] for e in t.transcript] == ["customer", "bot", "customer"]
    assert t.transcript[1]["buttons"] == ["Yes, it works now", "No change"]


def test_an_escalation_creates_exactly_one_ticket(store):
    first = store.create("conv-1", "rest", "conv-1", CASE, [])
    again = store.create("conv-1", "rest", "conv-1", {"symptoms": ["something else"]}, [])
    assert again.reference == first.reference and again.symptoms == first.symptoms
    store.claim(first.reference, "alice")
    assert store.create("conv-1", "rest", "conv-1", CASE, []).reference == first.reference, "claimed is still open"
    assert len(store.list()) == 1
    store.resolve(first.reference)
    second = store.create("conv-1", "rest", "conv-1", CASE, [])
    assert second.reference != first.reference, "a new escalation after the last one was closed"
    assert store.open_for("conv-1").reference == second.reference
    assert store.open_for("someone-else") is None


def test_references_are_forgiving_when_quoted(store):
    t = store.create("conv-1", "rest", None, CASE, [])
    quoted = f" {t.reference[:4].lower()}-{t.reference[4:]} "
    assert store.get(quoted).reference == t.reference
    assert store.claim(quoted, "bob").claimed_by == "bob"


def test_unknown_references(store):
    assert store.get("NOPE2345") is None
    for call in (
        lambda: store.claim("NOPE2345", "a"),
        lambda: store.resolve("NOPE2345"),
        lambda: store.hand_back("NOPE2345"),
        lambda: store.cancel("NOPE2345"),
        lambda: store.add_customer_message("NOPE2345", "hi"),
        lambda: store.messages("NOPE2345"),
    ):
        with pytest.raises(TicketNotFound, match="NOPE2345"):
            call()


def test_status_changes_with_timestamps(store):
    t = store.create("conv-1", "rest", None, CASE, [])
    claimed = store.claim(t.reference, "alice")
    assert claimed.status == "claimed" and claimed.claimed_by == "alice" and claimed.claimed_at > t.created_at
    assert store.claim(t.reference, "alice").claimed_at == claimed.claimed_at, "claiming again changes nothing"
    with pytest.raises(TicketStateError, match="claimed by alice"):
        store.claim(t.reference, "bob")
    resolved = store.resolve(t.reference, note="Sent a replacement")
    assert resolved.status == "resolved" and resolved.resolved_at > claimed.claimed_at
    assert resolved.resolution_note == "Sent a replacement" and resolved.claimed_by == "alice"
    assert store.resolve(t.reference).resolved_at == resolved.resolved_at
    for call in (
        lambda: store.claim(t.reference, "bob"),
        lambda: store.cancel(t.reference),
        lambda: store.hand_back(t.reference),
    ):
        with pytest.raises(TicketStateError):
            call()

    u = store.create("conv-2", "rest", None, CASE, [])
    back = store.hand_back(u.reference)
    assert back.status == "handed_back" and back.handed_back_at is not None
    v = store.create("conv-3", "rest", None, CASE, [])
    cancelled = store.cancel(v.reference)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    with pytest.raises(TicketStateError):
        store.resolve(v.reference)
    assert [x.reference for x in store.list(status="handed_back")] == [u.reference]
    assert [x.reference for x in store.list()] == [t.reference, u.reference, v.reference], "oldest first"
    with pytest.raises(ValueError):
        store.list(status="bogus")
    with pytest.raises(ValueError):
        store.claim(u.reference, " ")


def test_messages_typed_while_an_agent_has_the_case_are_kept(store):
    t = store.create("conv-1", "rest", None, CASE, [])
    store.add_customer_message(t.reference, "hello? anyone there")
    store.claim(t.reference, "alice")
    store.add_customer_message(t.reference, "my wifi password is hunter2")
    texts = [m["text"] for m in store.messages(t.reference)]
    assert texts == ["hello? anyone there", "my wifi password is hunter2"], "stored raw, redacted when rendered"
    assert [m["text"] for m in store.get(t.reference).messages] == texts
    assert [len(x.messages) for x in store.list()] == [2]
    store.resolve(t.reference)
    with pytest.raises(TicketStateError):
        store.add_customer_message(t.reference, "too late")


def test_outcomes_are_recorded(store):
    store.record_outcome("a", "resolved", cause="power_supply", step="swap_adapter")
    store.record_outcome("b", "abandoned", step="factory_reset")
    store.record_outcome("c", "escalated", cause="motor_driver")
    rows = store.outcomes()
    assert [(r["conversation_id"], r["outcome"], r["cause"], r["step"]) for r in rows] == [
        ("a", "resolved", "power_supply", "swap_adapter"),
        ("b", "abandoned", None, "factory_reset"),
        ("c", "escalated", "motor_driver", None),
    ]
    with pytest.raises(ValueError):
        store.record_outcome("d", "gave_up")


def test_a_reference_collision_is_retried(tmp_path):
    store = TicketStore(
        f"sqlite:///{tmp_path / 't.db'}", reference_factory=references("AAAAAAAA", "AAAAAAAA", "BBBBBBBB")
    )
    assert store.create("one", "rest", None, CASE, []).reference == "AAAAAAAA"
    assert store.create("two", "rest", None, CASE, []).reference == "BBBBBBBB"
    stuck = TicketStore(store.url, reference_factory=lambda: "AAAAAAAA")
    with pytest.raises(HandoffError, match="unique ticket reference"):
        stuck.create("three", "rest", None, CASE, [])
    assert len(store.list()) == 2


def test_fifty_concurrent_creates_lose_nothing(db_url):
    store = TicketStore(db_url)
    barrier = threading.Barrier(50)

    def create(i: int) -> str:
        barrier.wait()
        return store.create(f"conv-{i}", "rest", f"cust-{i}", CASE, pan_tilt_transcript()).reference

    with ThreadPoolExecutor(max_workers=50) as pool:
        refs = list(pool.map(create, range(50)))
    assert len(set(refs)) == 50
    stored = store.list()
    assert len(stored) == 50 and {t.reference for t in stored} == set(refs)
    assert {t.conversation_id for t in stored} == {f"conv-{i}" for i in range(50)}


def test_concurrent_creates_for_one_conversation_make_one_ticket(db_url):
    store = TicketStore(db_url)
    barrier = threading.Barrier(12)

    def create(_: int) -> str:
        barrier.wait()
        return store.create("same-conversation", "rest", None, CASE, []).reference

    with ThreadPoolExecutor(max_workers=12) as pool:
        refs = set(pool.map(create, range(12)))
    assert len(refs) == 1 and len(store.list()) == 1


def test_creates_from_several_processes(db_url):
    code = (
        "import sys; from bot.handoff.store import TicketStore; s = TicketStore(sys.argv[1]);"
        "[print(s.create(f'p{sys.argv[2]}-{i}', 'rest', None, {'symptoms': ['x']}, []).reference) for i in range(10)]"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for n in range(3)
    ]
    refs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        refs += out.split()
    assert len(refs) == len(set(refs)) == 30
    assert len(TicketStore(db_url).list()) == 30


def test_a_ticket_survives_a_restart(db_url):
    first = TicketStore(db_url)
    t = first.create("conv-1", "rest", None, CASE, pan_tilt_transcript())
    del first  # no close(): the process could have died here
    again = TicketStore(db_url)
    assert again.get(t.reference) == t


def test_a_ticket_survives_sigkill_right_after_create(db_url):
    code = (
        "import sys, time; from bot.handoff.store import TicketStore;"
        "from tests.bot.handoff.conftest import load_case, pan_tilt_transcript;"
        "t = TicketStore(sys.argv[1]).create('killed-conv', 'rest', None, load_case('case_pan_tilt_return'),"
        " pan_tilt_transcript());"
        "print(t.reference, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        reference = proc.stdout.readline().strip()
        assert reference, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)  # right after create() returned: no clean shutdown
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    ticket = TicketStore(db_url).get(reference)
    assert ticket is not None and ticket.conversation_id == "killed-conv"
    assert ticket.questions and ticket.transcript


def test_default_database_is_beside_rasas_tracker_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HANDOFF_DB_URL", raising=False)
    db = tmp_path / "var" / "tracker.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:  # Rasa's table, as its SQL tracker store makes it
        conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255),"
            " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
        )
        conn.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('s', 'user', 1.0, '{}')")
    store = TicketStore()
    assert store.url == "sqlite:///var/tracker.db"
    store.create("s", "rest", None, CASE, [])
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
    assert tables == {
        "events",
        "handoff_tickets",
        "handoff_messages",
        "handoff_outcomes",
        "handoff_outbox",
        "handoff_support_posts",
        "handoff_leases",
    }


def test_url_from_the_environment(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("HANDOFF_DB_URL", url)
    assert TicketStore().url == url
    assert (tmp_path / "elsewhere.db").exists()


def test_odd_case_data_is_stored_safely(store):
    case = {
        "context": {"camera_model": None, "duration": float("nan"), "_sender": "x"},
        "symptoms": ("a",),
        "outcome": "not a dict",
        "questions": ["junk", {"asked": "Q?", "answer": "A"}],
    }
    t = store.create("odd", None, None, case, None)
    assert [(q["asked"], q["answer"]) for q in t.questions] == [("Q?", "A")]
    assert "_sender" not in t.context and t.camera_model is None
    assert t.recommendation == "human_support" and t.transcript == []
    with pytest.raises(ValueError):
        store.create("", "rest", None, case, [])
