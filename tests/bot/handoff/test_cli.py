"""The agent's CLI, run as a subprocess like an agent would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.handoff.store import TicketStore
from tests.bot.handoff.conftest import REPO_ROOT, Clock, make_golden_tickets, references, subprocess_env


def cli(*args: str, cwd=None, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "bot.handoff.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or REPO_ROOT,
        env=subprocess_env(**env),
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = TicketStore(url, clock=Clock(), reference_factory=references("K7QM4XPA", "R2D2C3PX"))
    make_golden_tickets(store)
    for conversation, outcome, cause, step in [
        ("81234567", "escalated", "motor_driver", "replace_camera"),
        ("a", "resolved", "power_supply", "swap_adapter"),
        ("b", "abandoned", None, "factory_reset"),
        ("c", "abandoned", None, "factory_reset"),
        ("d", "resolved", "app_bug", "update_app"),
        ("e", "abandoned", None, "sd_slot_inspection"),
    ]:
        store.record_outcome(conversation, outcome, cause=cause, step=step)
    store.close()
    return url


def test_list(db):
    result = cli("--db", db, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["REF", "STATUS"]
    assert lines[1].startswith("K7QM4XPA  claimed") and "alice" in lines[1] and "KC120 (3 weeks)" in lines[1]
    assert lines[2].startswith("R2D2C3PX  open") and "⚠" in lines[2]
    only_open = cli("list", "--status", "open", "--db", db)  # --db also after the command
    assert [line.split()[0] for line in only_open.stdout.splitlines()[1:]] == ["R2D2C3PX"]
    as_json = cli("--db", db, "list", "--json")
    assert [json.loads(line)["reference"] for line in as_json.stdout.splitlines()] == ["K7QM4XPA", "R2D2C3PX"]
    assert "No tickets with status cancelled." in cli("--db", db, "list", "--status", "cancelled").stdout


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_show_is_the_redacted_rendering(db, fmt):
    result = cli("--db", db, "show", "k7qm-4xpa", "--format", fmt)
    assert result.returncode == 0, result.stderr
    expected = (REPO_ROOT / "tests" / "bot" / "handoff" / "golden" / f"escalation.{fmt}").read_text(encoding="utf-8")
    assert result.stdout == expected
    assert "hunter2" not in result.stdout and "jane.doe@example.com" not in result.stdout


def test_show_to_a_file(db, tmp_path):
    out = tmp_path / "ticket.html"
    result = cli("--db", db, "show", "R2D2C3PX", "--format", "html", "--output", str(out))
    assert result.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_claim_resolve_hand_back(db):
    result = cli("--db", db, "claim", "R2D2C3PX", "--agent", "bob")
    assert result.returncode == 0 and "claimed by bob" in result.stdout
    taken = cli("--db", db, "claim", "R2D2C3PX", "--agent", "carol")
    assert taken.returncode == 3 and "claimed by bob" in taken.stderr
    assert cli("--db", db, "hand-back", "R2D2C3PX").returncode == 0
    result = cli("--db", db, "resolve", "K7QM4XPA", "--note", "Replacement sent")
    assert result.returncode == 0 and "resolved" in result.stdout
    again = cli("--db", db, "hand-back", "K7QM4XPA")
    assert again.returncode == 3 and "resolved" in again.stderr
    store = TicketStore(db)
    assert store.get("K7QM4XPA").resolution_note == "Replacement sent"
    assert store.get("R2D2C3PX").status == "handed_back"


@pytest.mark.parametrize(
    "command",
    [["show", "NOPE2345"], ["claim", "NOPE2345", "--agent", "a"], ["resolve", "NOPE2345"], ["hand-back", "NOPE2345"]],
)
def test_unknown_reference_is_a_clear_error(db, command):
    result = cli("--db", db, *command)
    assert result.returncode == 2
    assert "no ticket with reference 'NOPE2345'" in result.stderr
    assert result.stdout == ""


def test_report_with_chart(db, tmp_path):
    chart = tmp_path / "charts" / "outcomes.png"
    result = cli("--db", db, "report", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "7 diagnoses in 7 conversations, 2 hand-off tickets" in text
    assert "factory_reset" in text and "sd_slot_inspection" in text
    assert "Power supply undersized or defective" in text
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    numbers = json.loads(cli("--db", db, "report", "--json").stdout)
    assert numbers["outcomes"] == {"resolved": 2, "escalated": 2, "abandoned": 3}
    assert numbers["abandoned_steps"][0] == {"step": "factory_reset", "count": 2}


def test_bad_usage_and_broken_database_never_show_a_traceback(tmp_path):
    assert cli("--db", "nonsense://x", "list").returncode == 1
    assert cli("--db", f"sqlite:///{tmp_path}/x.db", "list", "--status", "bogus").returncode == 2
    assert cli().returncode == 2
    broken = tmp_path / "not-a-db.db"
    broken.write_bytes(b"this is not sqlite" * 100)
    result = cli("--db", f"sqlite:///{broken}", "list")
    assert result.returncode == 1 and result.stderr.startswith("error:")


def test_default_database_is_var_tracker_db_of_the_working_directory(tmp_path):
    TicketStore(f"sqlite:///{tmp_path / 'var' / 'tracker.db'}").create("x", "rest", None, {}, [])
    result = cli("list", cwd=tmp_path)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 2
    elsewhere = cli("list", cwd=tmp_path, HANDOFF_DB_URL=f"sqlite:///{tmp_path / 'other.db'}")
    assert elsewhere.stdout.startswith("No tickets")


def test_the_assigned_agent_sees_the_contact_details_nobody_else_does(db):
    mine = cli("--db", db, "show", "K7QM4XPA", "--agent", "alice")
    assert mine.returncode == 0 and "jane.doe@example.com" in mine.stdout
    assert "hunter2" not in mine.stdout, "passwords never"
    for other in (["--agent", "bob"], []):
        shown = cli("--db", db, "show", "K7QM4XPA", *other).stdout
        assert "jane.doe@example.com" not in shown and "redacted-email" in shown


def test_reply_and_the_talk_both_ways(db):
    sent = cli("--db", db, "reply", "r2d2-c3px", "Hello, I'm Bob from support.", "--agent", "bob")
    assert sent.returncode == 0 and "Sent to the customer of R2D2C3PX as bob" in sent.stdout
    taken = cli("--db", db, "reply", "R2D2C3PX", "Me too", "--agent", "carol")
    assert taken.returncode == 3 and "claimed by bob" in taken.stderr
    empty = cli("--db", db, "reply", "R2D2C3PX", "  ", "--agent", "bob")
    assert empty.returncode == 2 and "empty" in empty.stderr
    nobody = cli("--db", db, "reply", "R2D2C3PX", "hi")
    assert nobody.returncode == 2 and "--agent" in nobody.stderr
    talk = cli("--db", db, "messages", "R2D2C3PX", "--agent", "bob").stdout
    assert "bob (agent): Hello, I'm Bob from support." in talk
    with TicketStore(db) as store:
        assert [n["kind"] for n in store.take_outbox(store.get("R2D2C3PX").conversation_id)] == ["claimed", "message"]
    assert cli("--db", db, "hand-back", "R2D2C3PX", "--agent", "carol").returncode == 3
    assert cli("--db", db, "resolve", "R2D2C3PX", "--agent", "bob", "--note", "done").returncode == 0


def test_nothing_a_customer_typed_reaches_the_agents_terminal_as_control_codes(tmp_path):
    """Escape sequences in a name or a message (clear the screen, set the title, hide a line) are
    printed as nothing, in every command."""
    from tests.bot.handoff.conftest import load_case

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = TicketStore(url, clock=Clock(), reference_factory=references("ANS1ANS1"))
    evil = "\x1b[2J\x1b]0;pwned\x07Dana\x1b[8m hidden\x1b[0m\u202e"
    store.create("t1", "telegram", "t1", load_case("case_pan_tilt_return"), customer_name=evil)
    store.add_customer_message("ANS1ANS1", "hi\x1b[1A\x1b[2K there\x9b2J")
    store.close()
    for args in (["list"], ["show", "ANS1ANS1"], ["messages", "ANS1ANS1"]):
        result = cli("--db", url, *args)
        assert result.returncode == 0, result.stderr
        printed = result.stdout
        assert not any(ch in printed for ch in "\x1b\x07\x9b\u202e"), (args, printed)
    assert "Dana" in cli("--db", url, "list").stdout
