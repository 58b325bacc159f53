"""bench/nlu.py scores through the controller: a typed reply is what the engine records, a first
message is what the customer gets. Driven here with hand-made parses (no model)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.dialogue.controller import Controller
from bot.dialogue.messages import Incoming

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nlu():
    spec = importlib.util.spec_from_file_location("bench_nlu", ROOT / "bench" / "nlu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_nlu"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def controller():
    return Controller()


def test_a_typed_answer_is_what_the_engine_records(nlu, controller):
    assert nlu.answer_outcome(controller, "reset_button_click", Incoming("yes i can feel it click", "affirm", 0.7)) == (
        "click",
        "yes",
    )
    assert (
        nlu.answer_outcome(controller, "swap_adapter", Incoming("that did it, back online", "affirm", 0.9))[0]
        == "fixed"
    )
    assert (
        nlu.answer_outcome(controller, "cloud_status", Incoming("i had pizza for lunch", "out_of_scope", 0.9))[0]
        == "none"
    )


def test_answer_scores_count_the_opposite_polarity(nlu, controller):
    items = [
        {"move": "cloud_status", "text": "a", "label": "outage_reported"},
        {"move": "cloud_status", "text": "b", "label": "no_reports"},
        {"move": "cloud_status", "text": "c", "label": "none"},
    ]
    s = nlu.score_answers(items, [("no_reports", "no"), ("no_reports", "no"), ("none", None)], controller)
    assert (s.right, s.option_n, s.opposite, s.none_asked_again, s.none_n) == (1, 2, 1, 1, 1)


def test_a_first_message_is_what_the_customer_gets(nlu, controller):
    out = nlu.opening_outcome(controller, Incoming("my camera is acting up", "vague_problem", 0.95))
    assert out.kind == "what_doing"
    out = nlu.opening_outcome(controller, Incoming("my hs100 plug is offline", "offline_after_months", 0.8))
    assert out.kind == "out_of_scope"
    ranking = (("sd_card_not_recognized", 0.9),)
    out = nlu.opening_outcome(
        controller, Incoming("the sd card is not found anymore", "sd_card_not_recognized", 0.9, ranking)
    )
    assert (out.kind, out.symptom) == ("diagnosis", "sd_card_not_recognized")


def test_complaint_scores(nlu):
    outcome = nlu.Outcome
    items = [("x", "sd_card_not_recognized"), ("y", "out_of_scope"), ("z", "vague"), ("w", "vague")]
    outs = [
        outcome("diagnosis", "sd_card_not_recognized"),
        outcome("out_of_scope"),
        outcome("what_doing"),
        outcome("out_of_scope"),
    ]
    s = nlu.score_complaints(items, outs)
    assert (s.symptom_right, s.oos_rejected, s.vague_asked, s.camera_turned_away) == (1, 1, 1, 1)
