"""Exact expected costs on the engine's own model: the engine's policy, and the best policy.

Both are valued with the planner's own objective, so the ratio is SACSO's yardstick (1.81% above
optimal on their printers): every question or step costs its minutes (reading and answering
included), an ending costs its route's customer and support minutes plus the rework of naming the
wrong cause (`rework` x P(not the named cause)), a hand-off also the agent's resolution afterwards,
and the closing questions it asks first. A repair that works ends the case; one that only seems to
(P(relapses | cause)) fails the post-fix checks and the case goes on with that relapse as evidence.

* `engine_cost(engine, symptom)` walks the engine's decision tree: at every question each answer is
  followed with its probability under the current belief, at every repair the "it works" branch and
  each failure answer. Exact.
* `optimal_cost(engine, symptom, depth)` is the minimum over all policies that obey the same rules
  (a step's preconditions, a route only when the guide's thresholds are met, no avoidable ending, a
  person only when no guide route is open) and use at most `depth` questions and steps before the
  ending, by exhaustive search memoised on the evidence. It is exact when no better policy needs
  more than `depth` moves; `converged` says whether raising the depth by one changed the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

import numpy as np

from bot.engine import Ask, DiagnosisEngine, Finished, Verify
from bot.engine.evidence import disproved
from bot.engine.state import DiagnosisState

Key = Tuple[FrozenSet[Tuple[str, str, Optional[str]]], Tuple[str, ...]]
RELAPSED = "relapsed"  # the repair seemed to work and the post-fix checks found the fault again


# -- the engine's own policy ------------------------------------------------------------------------
def _copy(state: DiagnosisState) -> DiagnosisState:
    copied = DiagnosisState.from_json(state.to_json())
    copied.history.clear()
    return copied


def _outcomes(engine: DiagnosisEngine, p: np.ndarray, move_id: str) -> List[Tuple[str, float]]:
    """(answer, probability) of a move under belief `p`, "fixed" and RELAPSED included for a repair."""
    table = engine.t.moves[move_id]
    found = []
    if table.move.kind == "action":
        fixed = float(p @ table.fixes)
        if fixed > 1e-9:
            found.append(("fixed", fixed))
        relapsed = float(p @ table.relapses)
        if relapsed > 1e-9:
            found.append((RELAPSED, relapsed))
        joint = table.likelihood * ((1.0 - table.fixes - table.relapses) * p)[None, :]
    else:
        joint = table.likelihood * p[None, :]
    for option, w in zip(table.option_ids, joint.sum(axis=1)):
        if w > 1e-9:
            found.append((option, float(w)))
    total = sum(w for _, w in found)
    return [(o, w / total) for o, w in found]


def ending_value(engine: DiagnosisEngine, state: DiagnosisState, route_id: str, covers, p: np.ndarray) -> float:
    """What an ending costs under the planner's objective (closing questions not included)."""
    planner = engine.planner
    gone = disproved(engine.k, state)
    # a route whose causes are all disproved names none of them: the planner's belief has them at 0
    named = max((float(p[engine.t.cause_index(c)]) for c in covers if c not in gone), default=0.0)
    value = engine.k.route(route_id).value + (1.0 - named) * engine.t.rework
    if route_id == "human_support":
        value += float(planner.handover(state)[planner.human] @ p)
    return value


def engine_cost(
    engine: DiagnosisEngine, symptom: str, limit: int = 40, floor: float = 1e-4
) -> Tuple[float, int, float]:
    """(expected cost, leaves, mass valued by estimate) of the engine's policy from one opening symptom.

    Branches less likely than `floor` are not walked: they are valued by the planner's own estimate of
    the move the engine takes there, and their total probability is returned so the report can say how
    much of the figure is an estimate."""
    leaves = 0
    estimated = 0.0

    def walk(state: DiagnosisState, depth: int, mass: float) -> float:
        nonlocal leaves, estimated
        step = engine.next_step(state)
        if isinstance(step, Verify):
            engine.confirm_fix(state, True)
            step = engine.next_step(state)
        if isinstance(step, Finished):
            leaves += 1
            out = step.outcome
            if out.type == "fix":
                return 0.0
            return ending_value(engine, state, out.route, out.covers, engine.belief(state))
        assert isinstance(step, Ask) and depth < limit, state.asked
        move = step.move.id
        p = engine.belief(state)
        if mass < floor and not step.closing:
            estimated += mass
            found = {c.id: c.value for c in engine.planner.choices(state, p)}
            return found.get(move, min(found.values()))
        cost = engine.t.moves[move].cost
        for option, w in _outcomes(engine, p, move):
            child = _copy(state)
            if option == RELAPSED:
                engine.answer(child, move, "fixed")
                engine.confirm_fix(child, False)
            else:
                engine.answer(child, move, option)
            cost += w * walk(child, depth + 1, mass * w)
        return cost

    return walk(engine.start([symptom]), 0, 1.0), leaves, estimated


# -- the best policy ----------------------------------------------------------------------------------
@dataclass
class Evidence:
    """A diagnosis state as a set of observations, for the search: answers given when asked, repairs
    that failed (with what was seen). Quacks like DiagnosisState for the planner's availability rules."""

    symptoms: List[str]
    answers: Dict[str, str] = field(default_factory=dict)
    failures: Dict[str, Optional[str]] = field(default_factory=dict)
    stated: Dict[str, str] = field(default_factory=dict)  # said by the complaint itself: not counted again
    skipped: Dict[str, int] = field(default_factory=dict)
    relapses: FrozenSet[str] = frozenset()  # failed repairs that seemed to work first

    def evidence_answer(self, move_id: str) -> Optional[str]:
        return self.answers.get(move_id) or self.failures.get(move_id) or self.stated.get(move_id)

    asked_answer = evidence_answer
    answer = evidence_answer

    def tried(self, action_id: str) -> bool:
        return action_id in self.failures

    def failed(self, action_id: str) -> bool:
        return action_id in self.failures

    def fixed(self, action_id: str) -> bool:
        return False

    def relapsed(self, action_id: str) -> bool:
        return action_id in self.relapses

    def evidence(self, move_id: str):
        return self.evidence_answer(move_id)

    @property
    def observations(self):
        from bot.engine.state import OBSERVED, SAID, Observation

        found = [Observation(m, "answer", o, SAID, asked=True) for m, o in self.answers.items()]
        found += [Observation(m, "failed", o, OBSERVED, relapsed=m in self.relapses) for m, o in self.failures.items()]
        found += [Observation(m, "answer", o, SAID, from_symptom=True) for m, o in self.stated.items()]
        return found

    def with_answer(self, move_id: str, option: str) -> "Evidence":
        answers = {**self.answers, move_id: option}
        return Evidence(self.symptoms, answers, dict(self.failures), self.stated, relapses=self.relapses)

    def with_failure(self, move_id: str, option: Optional[str]) -> "Evidence":
        failures = {**self.failures, move_id: option}
        return Evidence(self.symptoms, dict(self.answers), failures, self.stated, relapses=self.relapses)

    def with_relapse(self, move_id: str) -> "Evidence":
        failures = {**self.failures, move_id: None}
        return Evidence(self.symptoms, dict(self.answers), failures, self.stated, relapses=self.relapses | {move_id})

    def key(self) -> Key:
        items = {(m, "a", o) for m, o in self.answers.items()} | {(m, "f", o) for m, o in self.failures.items()}
        items |= {(m, "r", None) for m in self.relapses}
        return frozenset(items), tuple(self.symptoms)


class Search:
    """The cheapest policy within `depth` moves, on the engine's model and rules."""

    def __init__(self, engine: DiagnosisEngine, depth: int):
        self.e, self.depth = engine, depth
        self.memo: Dict[Tuple[Key, int], float] = {}
        self.closing_cost = {r.id: sum(engine.t.moves[q].cost for q in r.closing_questions) for r in engine.k.routes}

    def belief(self, ev: Evidence) -> np.ndarray:
        gone = disproved(self.e.k, ev)  # type: ignore[arg-type]
        from bot.engine.posterior import posterior

        return posterior(self.e.t, ev, [self.e.t.cause_index(c) for c in gone])  # type: ignore[arg-type]

    def endings(self, ev: Evidence, p: np.ndarray) -> List[float]:
        planner = self.e.planner
        mask, rcost, covers = planner._routes_for(ev)
        found = []
        held = bool(planner.avoidable_fixes(ev, p, skipped_ok=False))
        first = bool(planner.steps_before_replacing(ev, skipped_ok=False))
        for i, route in enumerate(planner.routes):
            if not covers[i] or (held and route.id in planner.held_back) or (first and route.id in planner.replacing):
                continue
            found.append(ending_value(self.e, ev, route.id, covers[i], p) + self.closing_cost[route.id])  # type: ignore[arg-type]
        return found

    def forced(self, ev: Evidence) -> Optional[str]:
        """The moves the engine's rules put first: the adapter swap while a hazard is reported, the guide's
        own test of the complaint (triage 5 for the reset button)."""
        k = self.e.k
        hazard = any(o in k.move(m).safety_options for m, o in {**ev.stated, **ev.answers}.items())
        if hazard and not ev.tried("swap_adapter"):
            return "swap_adapter"
        for symptom in ev.symptoms:
            first = k.symptom(symptom).check_first
            if first and ev.evidence_answer(first) is None:
                return first
        return None

    def value(self, ev: Evidence, depth: int) -> float:
        key = (ev.key(), depth)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        p = self.belief(ev)
        best = min(self.endings(ev, p), default=np.inf)
        forced = self.forced(ev)
        if forced is not None:
            best = np.inf  # the engine's rules allow nothing else now
        if depth > 0:
            planner = self.e.planner
            for move_id, table in self.e.t.moves.items():
                if forced is not None and move_id != forced:
                    continue
                if forced is None and not planner._move_available(move_id, ev, False, ev):  # type: ignore[arg-type]
                    continue
                cost = table.cost
                if cost >= best:
                    continue
                for option, w in _outcomes(self.e, p, move_id):
                    if option == "fixed":
                        continue
                    if option == RELAPSED:
                        child = ev.with_relapse(move_id)
                    elif table.move.kind == "action":
                        child = ev.with_failure(move_id, option)
                    else:
                        child = ev.with_answer(move_id, option)
                    cost += w * self.value(child, depth - 1)
                    if cost >= best:
                        break
                best = min(best, cost)
        self.memo[key] = best
        return best


def optimal_cost(engine: DiagnosisEngine, symptom: str, depth: int) -> float:
    start = engine.start([symptom])
    stated = {o.move: o.option for o in start.observations if o.is_evidence and o.option}
    return Search(engine, depth).value(Evidence([symptom], stated=stated), depth)
