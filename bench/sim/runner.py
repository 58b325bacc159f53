"""Running a policy on a simulated situation and judging the ending.

Policies: the engine (`run_engine`), escalating at once (`run_escalate_at_once`, the floor every
benchmark prints), and the guide's procedure routed per symptom (`bench.sim.baseline`); beside them,
what no policy can beat (`knows_the_cause`: the cheapest guide ending, no question asked). Every
policy is costed the same way: the knowledge's minutes for each question or step (reading and
answering included), the route's customer and support cost for the ending, and rework when the
ending is wrong.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from bench.sim.judge import ending_cost, resolution_cost, verdict
from bench.sim.types import FIXED, SKIP, CaseResult, Situation
from bot.engine import Ask, DiagnosisEngine, Finished, Verify
from bot.engine.conditions import holds
from bot.engine.outcome import EscalationOutcome, rests_on_assumption
from bot.engine.posterior import posterior
from bot.engine.state import DiagnosisState
from bot.knowledge.guide import Knowledge

MAX_MOVES = 60


class NoEnding(RuntimeError):
    """A policy that never ends a case is a bug, not a benchmark figure."""


def new_result(situation: Situation) -> CaseResult:
    return CaseResult(situation.truth, tuple(situation.symptoms), "", "", None)


def run_engine(engine: DiagnosisEngine, situation: Situation, max_moves: int = MAX_MOVES) -> CaseResult:
    state = engine.start(list(situation.symptoms), list(situation.opening))
    result = new_result(situation)
    last_action: Optional[str] = None
    for _ in range(max_moves):
        step = engine.next_step(state)
        if isinstance(step, Verify):
            engine.confirm_fix(state, situation.checks_pass(last_action or step.outcome.action))
            continue
        if isinstance(step, Finished):
            outcome = step.outcome
            if not isinstance(outcome, EscalationOutcome):
                return record_fix(result, outcome.cause)
            return record_escalation(
                engine.k,
                result,
                outcome.route,
                outcome.recommendation,
                outcome.cause,
                outcome.tried,
                rests_on_assumption(outcome),
                excused(engine, state, situation.truth),
            )
        assert isinstance(step, Ask)
        count_move(engine, result, step.move.id, step.is_action, step.closing)
        if step.is_action:
            last_action = step.move.id
        reply = situation.respond(step.move.id, step.options, step.is_action)
        if reply == SKIP:
            engine.skip(state)
        else:
            engine.answer(state, step.move.id, reply, said=dict(step.options).get(reply))
    raise NoEnding(f"no ending after {max_moves} moves: {result.moves}")


def excused(engine: DiagnosisEngine, state: DiagnosisState, truth) -> List[str]:
    """Fixes that could not be done: the customer set them aside twice (no spare adapter), or, in the
    engine's own world, which does not know the camera, what they need never showed (no bent pin)."""
    return [
        a
        for a in truth.avoidable_if_untried
        if state.skipped.get(a, 0) >= 2 or (truth.excuse_unmet_requires and not holds(engine.k.move(a).requires, state))
    ]


def count_move(engine: DiagnosisEngine, result: CaseResult, move_id: str, is_action: bool, closing: bool) -> None:
    result.moves.append(move_id)
    result.cost += engine.t.moves[move_id].cost
    if is_action:
        result.actions += 1
    elif closing:
        result.closing += 1  # asked after the ending is settled, to route it
    else:
        result.questions += 1


def record_fix(result: CaseResult, named: Optional[str]) -> CaseResult:
    result.ending, result.recommendation, result.named = "fix", "fix", named
    result.strict = result.lenient = True
    return result


def record_escalation(
    k: Knowledge,
    result: CaseResult,
    route: str,
    recommendation: str,
    named: Optional[str],
    tried: Sequence[str],
    assumed: bool,
    excused_fixes: Sequence[str] = (),
) -> CaseResult:
    """The verdict and the ending's cost of an escalated case (the same for every policy)."""
    truth = result.truth
    result.ending, result.recommendation, result.named, result.assumed = route, recommendation, named, assumed
    result.strict, result.lenient, result.avoidable = verdict(
        truth, route, recommendation, named, tried, assumed, excused_fixes
    )
    right_route = route in truth.routes or (route == "human_support" and named in truth.named)
    result.cost += ending_cost(k, route, right_route, named in truth.named, truth)
    return result


def run_escalate_at_once(engine: DiagnosisEngine, situation: Situation) -> CaseResult:
    """The do-nothing policy: hand the case to a person at once, naming the likeliest cause for the
    symptom."""
    p = posterior(engine.t, DiagnosisState(symptoms=list(situation.symptoms)))
    named = engine.t.causes[int(p.argmax())]
    return record_escalation(engine.k, new_result(situation), "human_support", "human_support", named, (), False)


def knows_the_cause(engine: DiagnosisEngine, situation: Situation) -> CaseResult:
    """Not a policy: someone who knows the camera ends the case the cheapest way there is, the guide's
    ending for the true cause or any one repair step that fixes this camera, without a question or a
    wrong step. No policy costs less; a cost target reads against it. Only where a situation can be
    copied unplayed (`fresh`) is every repair tried; elsewhere only the guide's ending counts."""
    k = engine.k
    result = new_result(situation)
    result.ending = result.recommendation = "known"
    result.strict = result.lenient = True
    result.cost = resolution_cost(k, situation.truth)
    fresh = getattr(situation, "fresh", None)
    for move in k.moves if fresh is not None else ():
        if move.kind != "action":
            continue
        copy = fresh()
        options = ((FIXED, "Yes, it works now"),) + tuple((o.id, o.label) for o in move.failure_options)
        try:
            fixed = copy.respond(move.id, options, True) == FIXED and copy.checks_pass(move.id)
        except (KeyError, ValueError):  # a move this world does not play
            continue
        if fixed:
            result.cost = min(result.cost, engine.t.moves[move.id].cost)
    return result
