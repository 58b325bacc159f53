"""Free-text replies read against the open question: a negation never reads as a "yes" option."""

from __future__ import annotations

import pytest

from bot.dialogue.understanding import exact_option, negated, option_from_text, yes_or_no
from bot.engine import FIXED, DiagnosisEngine


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine()


def _step(engine, move_id):
    from bot.engine.engine import Ask

    k = engine.k
    move = k.move(move_id)
    options = tuple((o.id, o.label) for o in move.answer_options)
    if move.kind == "action":
        options = ((FIXED, "Yes, it works now"),) + options
    return Ask(move, options, "")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("it works", FIXED),
        ("works now!", FIXED),
        ("yes", FIXED),
        ("no change", "no_change"),
        ("nope, nothing changed", "no_change"),
        ("it came back for a bit then dropped again", "came_back_briefly"),
        # a negation must never read as "Yes, it works now"
        ("I don't have another charger right now", None),
        ("it is not working now", None),
        ("cant do that now", None),
        ("yes, still not working", None),
        ("it didn't work", None),
    ],
)
def test_replies_to_the_adapter_swap(engine, text, expected):
    step = _step(engine, "swap_adapter")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("set-up went fine but still no cloud, same problem", "same_problem"),  # "no cloud" denies no option
        ("no response at all", "no_response"),
        ("didn't work, no cloud still", None),
    ],
)
def test_replies_to_the_factory_reset(engine, text, expected):
    step = _step(engine, "factory_reset")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no idea, under warranty i think", "in_warranty"),  # the negation ends with its clause
        ("under warranty", "in_warranty"),
        ("out of warranty", "out_of_warranty"),
        ("not under warranty", None),
        ("it's not under warranty anymore", None),
        ("not sure", "not_sure"),
    ],
)
def test_replies_to_the_warranty_question(engine, text, expected):
    step = _step(engine, "warranty_status")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


def test_a_negated_label_can_still_be_named(engine):
    step = _step(engine, "power_cycle_restores")
    assert exact_option(step.options, "no it stays offline") == "no_stays_offline"
    assert option_from_text(step.move, step.options, "no, it doesn't come back", "nlu_fallback") == "no_stays_offline"
    assert option_from_text(step.move, step.options, "yes for a while", "nlu_fallback") == "yes_for_a_while"


@pytest.mark.parametrize(
    "text, neg",
    [
        ("can't", True),
        ("can\u2019t do it", True),
        ("I don't know", True),
        ("without a charger", True),
        ("it works", False),
        ("nothing", True),
        ("notebook", False),
        ("know", False),
    ],
)
def test_negation(text, neg):
    assert negated(text) is neg


def test_yes_at_the_start_with_a_negation_after_is_not_a_yes():
    assert yes_or_no("yes it comes back for a bit", None) == "affirm"
    assert yes_or_no("yes, but it still doesn't connect", None) is None
    assert yes_or_no("whatever", "affirm") == "affirm"  # the NLU's own intent stands
