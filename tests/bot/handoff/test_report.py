"""The outcome report: counts, where abandoned conversations stopped, fix rate per cause, the chart."""

from __future__ import annotations

import pytest

from bot.handoff.report import build_report, report_chart, report_text
from bot.handoff.store import TicketStore
from tests.bot.handoff.conftest import Clock, load_case

NAMES = {"power_supply": "Power supply undersized or defective", "motor_driver": "Pan/tilt motor driver failure"}


@pytest.fixture
def store(tmp_path):
    s = TicketStore(f"sqlite:///{tmp_path / 'tracker.db'}", clock=Clock())
    yield s
    s.close()


def test_counts_steps_and_fix_rates(store):
    store.record_outcome("a", "resolved", cause="power_supply", step="swap_adapter")
    store.record_outcome("b", "resolved", cause="power_supply", step="swap_adapter")
    store.record_outcome("c", "escalated", cause="power_supply", step="safety_stop")
    store.record_outcome("d", "abandoned", step="factory_reset")
    store.record_outcome("e", "abandoned", step="factory_reset")
    store.record_outcome("f", "abandoned", step="sd_slot_inspection")
    store.record_outcome("g", "abandoned")
    # a conversation with two problems: one fixed, then one escalated
    store.record_outcome("h", "resolved", cause="app_bug", step="update_app")
    store.record_outcome("h", "escalated", cause="motor_driver", step="replace_camera")
    report = build_report(store, cause_names=NAMES)
    assert report.conversations == 8 and report.diagnoses == 9
    assert report.counts == {"resolved": 3, "escalated": 2, "abandoned": 4}
    assert report.abandoned_steps == [("factory_reset", 2), ("(not recorded)", 1), ("sd_slot_inspection", 1)]
    rates = {c.cause: (c.resolved, c.escalated, c.abandoned, round(c.fix_rate, 3)) for c in report.causes}
    assert rates == {
        "power_supply": (2, 1, 0, 0.667),
        "motor_driver": (0, 1, 0, 0.0),
        "app_bug": (1, 0, 0, 1.0),
        "(undetermined)": (0, 0, 4, 0.0),
    }
    assert report.causes[0].cause == "power_supply" and report.causes[-1].cause == "(undetermined)"

    text = report_text(report)
    assert "9 diagnoses in 8 conversations, 0 hand-off tickets" in text
    assert "resolved       3    33%" in text
    assert "Power supply undersized or defective (power_supply)         2          1          0       67%" in text
    assert "factory_reset           2" in text


def test_a_ticket_is_counted_once_with_its_escalation(store):
    case = load_case("case_pan_tilt_return")
    # escalation recorded when the diagnosis ended, then the customer accepted the hand-off
    store.record_outcome("a", "escalated", cause="motor_driver", step="replace_camera")
    store.create("a", "rest", None, case, [])
    # the customer asked for a person in the middle of a diagnosis: the ticket is the escalation
    store.create("b", "rest", None, load_case("case_adapter_safety"), [])
    # a ticket first, handed back, and the diagnosis then ended in an escalation: still one
    ticket = store.create("c", "rest", None, {"symptoms": ["x"]}, [])
    store.hand_back(ticket.reference)
    store.record_outcome("c", "escalated", cause="motor_driver", step="replace_camera")
    # a fix first, then the customer wanted a person anyway: two diagnoses
    store.record_outcome("d", "resolved", cause="power_supply", step="swap_adapter")
    store.create("d", "rest", None, {"symptoms": ["x"]}, [])
    report = build_report(store, cause_names={})
    assert report.counts == {"resolved": 1, "escalated": 4, "abandoned": 0}
    assert report.tickets == 4 and report.ticket_status["open"] == 3 and report.ticket_status["handed_back"] == 1
    rates = {c.cause: (c.resolved, c.escalated) for c in report.causes}
    assert rates == {"motor_driver": (0, 2), "power_supply": (1, 1), "(undetermined)": (0, 1)}
    assert report.causes[0].name == "Pan/tilt motor driver failure", "names found in the tickets"


def test_empty_database(store, tmp_path):
    report = build_report(store, cause_names={})
    assert report.diagnoses == 0
    text = report_text(report)
    assert "(none abandoned)" in text and "(no outcomes recorded yet)" in text
    png = report_chart(report, tmp_path / "empty.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_chart(store, tmp_path):
    for i in range(5):
        store.record_outcome(f"r{i}", "resolved", cause="power_supply")
    store.record_outcome("x", "abandoned", step="factory_reset")
    path = report_chart(build_report(store), tmp_path / "sub" / "chart.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
