"""Numeric tables derived once from the knowledge: the planner runs on every chat turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from bot.knowledge.guide import Knowledge
from bot.knowledge.moves import Move

# A customer answers wrongly now and then; no single answer may rule a cause out for good.
LIKELIHOOD_FLOOR = 0.01


@dataclass(frozen=True)
class MoveTable:
    move: Move
    index: int
    option_ids: List[str]
    likelihood: np.ndarray  # (options, causes): P(answer | cause), or P(answer | cause, not fixed)
    fixes: np.ndarray  # (causes,), zeros for questions
    relapses: np.ndarray  # (causes,): seemed fixed, fault back at the checks; zeros for questions
    cost: float  # the customer's minutes, reading and answering included


@dataclass(frozen=True)
class Tables:
    causes: List[str]
    prior: np.ndarray
    symptom_likelihood: Dict[str, np.ndarray]
    moves: Dict[str, MoveTable]
    action_ids: List[str]
    action_fixes: np.ndarray  # (actions, causes)
    action_costs: np.ndarray  # (actions,)
    rework: float

    def cause_index(self, cause_id: str) -> int:
        return self.causes.index(cause_id)


def _vector(values: Dict[str, float], causes: List[str], default: float | None = None) -> np.ndarray:
    fallback = values.get("default", default)
    return np.array([values.get(c, fallback if fallback is not None else 0.0) for c in causes], dtype=float)


def prior_of(knowledge: Knowledge) -> np.ndarray:
    """Field frequencies, scaled to leave their reserves to the causes outside the ranking."""
    reserved = sum(c.reserve or 0.0 for c in knowledge.causes)
    return np.array(
        [c.reserve if c.reserve is not None else c.frequency / 100.0 * (1.0 - reserved) for c in knowledge.causes],
        dtype=float,
    )


_CACHE: Dict[int, Tuple[Knowledge, "Tables"]] = {}


def tables_for(knowledge: Knowledge) -> Tables:
    """Tables for this knowledge object, built once (pydantic models are not hashable)."""
    hit = _CACHE.get(id(knowledge))
    if hit is not None and hit[0] is knowledge:
        return hit[1]
    tables = _build(knowledge)
    _CACHE[id(knowledge)] = (knowledge, tables)
    return tables


def _build(knowledge: Knowledge) -> Tables:
    causes = [c.id for c in knowledge.causes]
    symptom_likelihood = {
        s.id: np.array([c.symptom_likelihood.get(s.id, 0.0) for c in knowledge.causes]) for s in knowledge.symptoms
    }
    moves: Dict[str, MoveTable] = {}
    for index, move in enumerate(knowledge.moves):
        options = move.answer_options
        lik = np.array([_vector(o.likelihood, causes) for o in options])
        lik = np.maximum(lik, LIKELIHOOD_FLOOR)
        fixes = _vector(move.fixes, causes, default=0.0) if move.kind == "action" else np.zeros(len(causes))
        relapses = _vector(move.relapses, causes, default=0.0)
        cost = move.cost.value + knowledge.turn_cost.value
        moves[move.id] = MoveTable(move, index, [o.id for o in options], lik, fixes, relapses, cost)
    action_ids = [m.id for m in knowledge.moves if m.kind == "action"]
    return Tables(
        causes=causes,
        prior=prior_of(knowledge),
        symptom_likelihood=symptom_likelihood,
        moves=moves,
        action_ids=action_ids,
        action_fixes=np.array([moves[a].fixes for a in action_ids]),
        action_costs=np.array([moves[a].cost for a in action_ids]),
        rework=knowledge.rework_cost.value,
    )
