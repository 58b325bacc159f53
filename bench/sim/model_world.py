"""The engine's own world: customers drawn from the knowledge's numbers (self-consistent).

It shows the planner is sound on the model it plans with; it says little about real customers, which
is what `bench.sim.world` is for. The true cause is drawn from the engine's prior, the opening symptom
from P(symptom | cause), every answer from the knowledge's likelihoods (with a share given wrongly
at random: customers misread LEDs and misremember), and whether a repair works from P(fixes | cause)
(or seems to, and fails the post-fix checks, from P(relapses | cause)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bench.sim.types import FIXED, Truth
from bot.engine.tables import prior_of
from bot.knowledge.guide import Knowledge


def truth_for(k: Knowledge, cause: str) -> Truth:
    """The endings the knowledge itself prescribes for a cause: its routes, and a person."""
    routes = {"human_support"}
    for route in k.routes:
        covered = set(route.covers) if route.covers != "all" else set()
        for tid in route.thresholds:
            covered |= set(k.threshold(tid).causes)
        if cause in covered:
            routes.add(route.id)
    rule = k.avoidable
    fixes = {m.id for m in k.moves if m.kind == "action" and m.fixes.get(cause, 0.0) >= rule.min_fix_chance}
    if cause in rule.not_for:
        fixes = set()
    return Truth(cause, frozenset({cause}), frozenset(routes), frozenset(fixes), excuse_unmet_requires=True)


@dataclass
class ModelCustomer:
    k: Knowledge
    truth: Truth
    symptoms: Tuple[str, ...]
    rng: np.random.Generator
    wrong_rate: float
    opening: Tuple[Dict[str, Any], ...] = ()
    fixed_by: List[str] = field(default_factory=list)

    def respond(self, move_id: str, options: Sequence[Tuple[str, str]] = (), is_action: Optional[bool] = None) -> str:
        move = self.k.move(move_id)
        cause = self.truth.cause
        if is_action is None:
            is_action = move.kind == "action"
        if is_action:
            draw, fixes = self.rng.random(), move.fixes.get(cause, 0.0)
            if draw < fixes:
                self.fixed_by.append(move_id)
                return FIXED
            if draw < fixes + move.relapses.get(cause, move.relapses.get("default", 0.0)):
                return FIXED  # it seems fixed; the post-fix checks find the fault again

        answers = move.answer_options
        probs = np.array([o.likelihood.get(cause, o.likelihood.get("default", 0.0)) for o in answers])
        index = int(self.rng.choice(len(answers), p=probs / probs.sum()))
        if len(answers) > 1 and self.rng.random() < self.wrong_rate:
            index = int(self.rng.choice([i for i in range(len(answers)) if i != index]))
        return answers[index].id

    def checks_pass(self, move_id: str) -> bool:
        return move_id in self.fixed_by


def draw_case(k: Knowledge, rng: np.random.Generator) -> Tuple[str, str]:
    """(cause, symptom) from the engine's prior and P(symptom | cause)."""
    prior = prior_of(k)
    cause = k.causes[int(rng.choice(len(k.causes), p=prior / prior.sum()))]
    symptoms = list(cause.symptom_likelihood)
    probs = np.array([cause.symptom_likelihood[s] for s in symptoms])
    return cause.id, symptoms[int(rng.choice(len(symptoms), p=probs / probs.sum()))]


def situations(k: Knowledge, n: int, seed: int, wrong_rate: float = 0.05) -> List[ModelCustomer]:
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(n):
        cause, symptom = draw_case(k, rng)
        found.append(
            ModelCustomer(k, truth_for(k, cause), (symptom,), np.random.default_rng(rng.integers(2**32)), wrong_rate)
        )
    return found


def customer(k: Knowledge, cause: str, rng: np.random.Generator, wrong_rate: float = 0.05) -> ModelCustomer:
    """A customer of the engine's own world whose camera has `cause`."""
    return ModelCustomer(k, truth_for(k, cause), (), rng, wrong_rate)
