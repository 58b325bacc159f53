"""The guide's scenarios, thresholds and triage tests through the conversation, every answer typed
in the customer's own words (no buttons, no intent guessed for them): the same test customers as
tests/bot/engine/test_guide_routes.py reach the same endings."""

from __future__ import annotations

import pytest

from bot.dialogue.controller import Controller
from bot.dialogue.conversation import Conversation
from bot.dialogue.messages import Incoming
from bot.engine import DiagnosisState
from bot.engine.outcome import outcome_from_dict
from bot.language.context import annotate
from bot.language.entities import load_extractor
from tests.support.guide_customers import params, reached


@pytest.fixture(scope="module")
def controller() -> Controller:
    return Controller()


def extract(words: str):
    """The entities the language pipeline finds in a typed reply, as the bot would get them."""
    found = [{**e.as_dict(), "text": e.text} for e in load_extractor().extract(words)]
    return tuple(annotate(words, found))


def typed_conversation(controller, customer):
    conv = Conversation()
    opening = Incoming(customer.opening, customer.symptom, 0.95, ((customer.symptom, 0.95),), customer.entities)
    controller.handle(conv, opening)
    asked = []
    for _ in range(40):
        state = DiagnosisState.from_dict(conv.engine)
        if state.status == "verifying":
            controller.handle(conv, Incoming(customer.checks_fail or "yes, all the checks passed"))
            continue
        if conv.phase != "diagnosing" or state.finished:
            return outcome_from_dict(state.outcome), asked, state
        move = state.pending
        asked.append(move)
        option, words = customer.answer(move)
        controller.handle(conv, Incoming(words, entities=extract(words)))
        after = DiagnosisState.from_dict(conv.engine)
        recorded = after.current(move) if after.current(move) is not None else None
        fixed = any(o.move == move and o.kind == "fixed" for o in after.observations)
        got = "fixed" if fixed else (recorded.option if recorded is not None and recorded.quote == words else None)
        assert got == option, f"{customer.id}: {words!r} to {move} was read as {got!r}, not {option!r}"
    pytest.fail(f"{customer.id}: no ending after {asked}")


@pytest.mark.parametrize("customer", params())
def test_typed_answers_reach_the_guides_ending(controller, customer):
    outcome, asked, _ = typed_conversation(controller, customer)
    assert outcome is not None, f"{customer.id}: no outcome after {asked}"
    got = reached(controller.k, outcome, asked)
    assert set(customer.reaches) <= got, f"{customer.id} asked {asked}, reached {sorted(got)}"
