"""What the customer reads at the end of a case."""

from __future__ import annotations

import re

import pytest

from bot.dialogue import render
from bot.engine import Ask, DiagnosisEngine, Finished, Verify
from bot.engine.outcome import EscalationOutcome


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine()


def _play(engine, symptom, answers, said=None, entities=()):
    """Answer what the engine asks from `answers` (move -> option; a repair not listed fails with its
    first failure option) until the case ends; returns (asked moves, the ending)."""
    state = engine.start([symptom], list(entities), said=said)
    asked = []
    for _ in range(30):
        step = engine.next_step(state)
        if isinstance(step, Finished):
            return asked, step
        if isinstance(step, Verify):
            engine.confirm_fix(state, True)
            continue
        assert isinstance(step, Ask)
        asked.append(step.move.id)
        option = answers.get(step.move.id) or next(o for o, _ in step.options if o != "fixed")
        engine.answer(state, step.move.id, option, said=answers.get(f"{step.move.id}:said"))
    pytest.fail(f"no ending: {asked}")


def test_green_blinking_without_an_outage_tries_the_guides_dns_fix_before_any_hand_off(engine):
    """Scenario H is the guide's fix for a green-blinking camera the cloud cannot reach: it is done, not
    suggested beside a hand-off."""
    asked, step = _play(
        engine,
        "green_blinking_no_cloud",
        {
            "power_cycle_restores": "no_stays_offline",
            "cloud_status": "no_reports",
            "other_cameras_affected": "only_camera",
            "reset_recurs": "never_reset",
            "factory_reset": "same_problem",
            "dns_change": "still_unreachable",
        },
    )
    assert "dns_change" in asked
    out = step.outcome
    assert isinstance(out, EscalationOutcome) and out.recommendation == "human_support"
    assert out.cause == "cloud_dns" and "dns_change" in out.tried
    text = render.finished(engine.k, step)[0].text
    assert "What I found points most to: Cloud server outage / DNS failure" in text


def test_nothing_a_customer_reads_shows_ids_payloads_steps_or_scenario_letters(engine):
    for symptom in ("pan_tilt_stopped", "sd_card_not_recognized", "green_blinking_no_cloud", "offline_after_months"):
        _, step = _play(engine, symptom, {"warranty_status": "in_warranty"})
        text = "\n".join(r.text for r in render.finished(engine.k, step))
        assert not re.search(r"\bscenario [A-H]\b|\bStep \d\b|/choose|[a-z]+_[a-z]+", text), text


def test_the_reason_for_a_replacement_quotes_what_the_customer_said(engine):
    _, step = _play(
        engine,
        "pan_tilt_stopped",
        {
            "motor_sound": "silent",
            "motor_sound:said": "totally silent, nothing moves",
            "warranty_status": "in_warranty",
        },
    )
    text = render.finished(engine.k, step)[0].text
    assert 'Why: Pan/tilt motor failed. (you said: "totally silent, nothing moves")' in text


def test_an_answer_the_guide_reads_is_told_to_the_customer(engine):
    """Triage test 5: "If difficult but possible: design flaw, not failure"."""
    state = engine.start(["reset_button_hard"])
    step = engine.next_step(state)
    while step.move.id != "reset_button_check":
        engine.answer(state, step.move.id, next(o for o, _ in step.options if o != "fixed"))
        step = engine.next_step(state)
    engine.answer(state, "reset_button_check", "difficult_but_possible")
    replies = (
        render.ask(engine.next_step(state))
        if isinstance(engine.next_step(state), Ask)
        else render.finished(engine.k, engine.next_step(state))
    )
    assert "design flaw, not a failure" in replies[0].text


def test_a_question_asked_again_after_a_step_says_why(engine):
    """After a reset the light or the power cycle may have changed: the customer is told why the same
    question comes back, once, not when it is only shown again."""
    from dataclasses import replace

    state = engine.start(["offline_after_months"])
    step = engine.next_step(state)
    assert isinstance(step, Ask) and not step.again
    first = render.ask(step)[-1].text
    assert not first.startswith("That step may have changed things")
    again = replace(step, again=True)
    assert render.ask(again)[-1].text == "That step may have changed things, so once more: " + first
    assert render.ask(again, repeat_note=False)[-1].text == first


def test_every_answer_to_the_warranty_question_has_its_next_step():
    """A replacement's last line says what the warranty answer means (replies.yml, by option)."""
    from bot.dialogue.messages import fixed_replies
    from bot.dialogue.render import WARRANTY_NEXT
    from bot.knowledge import load_knowledge

    k = load_knowledge()
    options = [o.id for o in k.move(k.roles.warranty_question).answer_options]
    missing = [o for o in options if o != "not_sure" and not fixed_replies().get(f"{WARRANTY_NEXT}{o}")]
    assert missing == []
