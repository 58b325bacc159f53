"""Benchmark smoke test: on simulated customers the engine beats the guide's static flowchart."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from bot.engine import DiagnosisEngine
from bot.engine.simulation import (
    FLOWCHART,
    Customer,
    draw_case,
    entropy_lower_bound,
    run_engine_case,
    run_flowchart_case,
)
from bot.knowledge import load_knowledge

CASES = 150
SEED = 7


@pytest.fixture(scope="module")
def engine() -> DiagnosisEngine:
    return DiagnosisEngine(load_knowledge())


@pytest.fixture(scope="module")
def results(engine):
    rng = np.random.default_rng(SEED)
    cases = [draw_case(engine.k, rng) for _ in range(CASES)]
    eng = [run_engine_case(engine, c, s, rng) for c, s in cases]
    flow = [run_flowchart_case(engine.k, c, s, rng) for c, s in cases]
    return cases, eng, flow


def _rate(results):
    return sum(r.correct for r in results) / len(results)


def test_engine_is_more_often_correct_than_the_flowchart(results):
    _, eng, flow = results
    assert _rate(eng) > _rate(flow), (_rate(eng), _rate(flow))


def test_engine_costs_the_customer_less_than_the_flowchart(results):
    _, eng, flow = results
    assert statistics.mean(r.cost for r in eng) < statistics.mean(r.cost for r in flow)


def test_results_are_consistent(results, engine):
    cases, eng, flow = results
    causes = set(engine.t.causes)
    for (cause, symptom), r in zip(cases, eng):
        assert (r.cause, r.symptom) == (cause, symptom)
        assert r.named_cause in causes
        if r.ending == "fix" or r.named_cause == cause:
            assert r.correct
        if r.ending == "human_support" and r.named_cause != cause:
            assert not r.correct
        assert r.questions + r.actions + r.closing == len(r.moves)
        assert r.cost > 0 and math.isfinite(r.cost)
    for r in flow:
        assert set(r.moves) <= set(FLOWCHART)


def test_draw_case_follows_the_knowledge(engine):
    rng = np.random.default_rng(1)
    k = engine.k
    for _ in range(200):
        cause, symptom = draw_case(k, rng)
        assert cause != "other"
        assert k.cause(cause).symptom_likelihood.get(symptom, 0) > 0


def test_the_simulation_is_reproducible(engine):
    def run():
        rng = np.random.default_rng(123)
        cases = [draw_case(engine.k, rng) for _ in range(10)]
        return [
            (r.ending, r.named_cause, r.moves, r.cost) for r in (run_engine_case(engine, c, s, rng) for c, s in cases)
        ]

    assert run() == run()


def test_customer_answers_only_offered_options(engine):
    rng = np.random.default_rng(2)
    for cause in engine.t.causes:
        customer = Customer(engine.k, cause, rng, wrong_rate=0.2)
        for move in engine.k.moves:
            allowed = {o.id for o in move.answer_options} | ({"fixed"} if move.kind == "action" else set())
            assert customer.respond(move.id) in allowed


def test_entropy_lower_bound_is_positive_and_finite(engine):
    bound = entropy_lower_bound(engine.k)
    assert set(bound) == {"entropy_bits", "bits_per_question", "lower_bound_questions"}
    for name, value in bound.items():
        assert math.isfinite(value) and value > 0, (name, value)
    # nine causes: the remaining uncertainty after the symptom is below log2(9) bits
    assert bound["entropy_bits"] < math.log2(len(engine.k.causes))
    assert bound["bits_per_question"] >= 1.0  # every question has at least two answers
    assert bound["lower_bound_questions"] == pytest.approx(bound["entropy_bits"] / bound["bits_per_question"])
