"""What the customer reads at the end of a case."""

from __future__ import annotations

import pytest

from bot.dialogue import render
from bot.engine import DiagnosisEngine, Finished


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine()


def _finish(engine, symptom, answers):
    state = engine.start([symptom])
    for move, option in answers:
        step = engine.next_step(state)
        assert step.move.id == move, (step.move.id, move)
        engine.answer(state, move, option)
    step = engine.next_step(state)
    assert isinstance(step, Finished), step
    return step


def test_a_hand_off_with_a_likely_cause_names_it_and_the_guides_untried_fix(engine):
    step = _finish(
        engine,
        "green_blinking_no_cloud",
        [("cloud_status", "no_reports"), ("swap_adapter", "no_change"), ("factory_reset", "same_problem")],
    )
    out = step.outcome
    assert out.route == "human_support" and out.cause == "cloud_dns" and out.probability >= 0.5
    assert "dns_change" not in out.tried
    text = render.finished(engine.k, step)[0].text
    assert text.startswith("This looks most like Cloud server outage / DNS failure")
    assert "scenario H" in text and "8.8.8.8" in text


def _human_outcome(engine, **changes):
    base = {
        "type": "escalation",
        "route": "human_support",
        "recommendation": "human_support",
        "text": engine.k.route("human_support").text,
        "cause": "cloud_dns",
        "cause_name": engine.k.cause("cloud_dns").name,
        "probability": 0.8,
        "tried": [],
        "notes": [],
    }
    return Finished({**base, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"tried": ["dns_change"]},  # the guide's fix was done: nothing to suggest
        {"probability": 0.3},  # not likely enough to point at
        {"cause": "wifi_radio_crash", "cause_name": "Wi-Fi radio firmware crash"},  # its fix is a replacement
    ],
)
def test_no_lead_when_it_would_not_help(engine, changes):
    text = render.finished(engine.k, _human_outcome(engine, **changes))[0].text
    assert "scenario" not in text and text.startswith("I could not pin this down")


def test_the_lead_is_shown_when_the_fix_is_open(engine):
    text = render.finished(engine.k, _human_outcome(engine))[0].text
    assert "scenario H" in text
