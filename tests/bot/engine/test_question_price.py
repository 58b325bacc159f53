"""The question budget's price: the planner weighs it, the customer's reported cost does not include it."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from bot.engine import DiagnosisEngine
from bot.engine.simulation import draw_case, run_engine_case
from bot.engine.tables import tables_for
from bot.knowledge import load_knowledge
from bot.knowledge.model import Cost


def _with_price(k, minutes: float):
    return k.copy(update={"question_cost": Cost(minutes=minutes, difficulty=1, reason="test")})


@pytest.fixture(scope="module")
def k():
    return load_knowledge()


def test_the_price_is_in_the_knowledge_with_a_reason(k):
    assert k.question_cost.value > 0
    assert "question" in k.question_cost.reason


def test_only_questions_carry_the_price_and_costs_stay_customer_minutes(k):
    t = tables_for(k)
    for move_id, table in t.moves.items():
        move = table.move
        assert table.cost == pytest.approx(move.cost.value + k.turn_cost.value)
        extra = k.question_cost.value if move.kind == "question" else 0.0
        assert table.price == pytest.approx(table.cost + extra), move_id
    assert np.allclose(t.action_costs, [t.moves[a].cost for a in t.action_ids])


def _run(k, cases: int = 300, seed: int = 3):
    engine = DiagnosisEngine(k)
    rng = np.random.default_rng(seed)
    drawn = [draw_case(k, rng) for _ in range(cases)]
    return [run_engine_case(engine, c, s, rng) for c, s in drawn]


def test_a_higher_price_asks_fewer_questions(k):
    cheap = _run(_with_price(k, 1e-6))
    priced = _run(k)
    dear = _run(_with_price(k, 4 * k.question_cost.value))
    q = [statistics.mean(r.questions for r in rs) for rs in (cheap, priced, dear)]
    assert q[0] > q[1] > q[2], q


def test_reported_cost_is_the_moves_customer_minutes(k):
    engine = DiagnosisEngine(k)
    t = engine.t
    for r in _run(k, cases=60):
        moves = sum(t.moves[m].cost for m in r.moves)
        assert r.cost >= moves - 1e-9  # plus the ending's cost, never the planner's price
        if r.ending == "fix":
            assert r.cost == pytest.approx(moves)
