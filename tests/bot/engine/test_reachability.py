"""Every cause, every fix scenario A-H, every escalation threshold and every route is reachable:
for each target a depth-first search over the engine's own offers (tests/bot/engine/search.py)
finds a conversation that ends there, and the conversation is replayed from scratch to check it."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Sequence

import pytest

from bench.sim.world import ROUTES  # the guide's routes, written from the guide, not read from the knowledge
from bot.engine import DiagnosisEngine, Finished
from bot.engine.outcome import outcome_from_dict
from bot.engine.posterior import posterior
from bot.knowledge import load_knowledge
from tests.bot.engine.search import Searcher, replay

K = load_knowledge()
SYMPTOMS = [s.id for s in K.symptoms]


class Target(NamedTuple):
    id: str
    goal: Callable[[Dict[str, Any]], bool]
    causes: Sequence[str]  # causes the target is about: steer the search towards them
    allow_skip: bool = False


def _thresholds(outcome) -> List[str]:
    return [t.id for t in getattr(outcome, "thresholds", ())]


def _scenario(outcome):
    return outcome.scenario.id if outcome.scenario else None


def _targets() -> List[Target]:
    targets = [Target(f"cause-{c.id}", lambda o, c=c.id: o.cause == c, [c.id]) for c in K.causes]
    targets += [Target(f"scenario-{s.id}", lambda o, s=s.id: _scenario(o) == s, [s.cause]) for s in K.fix_scenarios]
    targets += [
        Target(f"threshold-{t.id}", lambda o, t=t.id: t in _thresholds(o), t.causes) for t in K.thresholds.all()
    ]
    for r in K.routes:
        causes = [] if r.covers == "all" else list(r.covers) or [c for t in r.thresholds for c in K.threshold(t).causes]
        # the safety stop is the ending for a customer who will not swap the hot adapter
        targets.append(Target(f"route-{r.id}", lambda o, r=r.id: getattr(o, "route", None) == r, causes, r.safety_only))
    targets.append(Target("recommendation-return", lambda o: getattr(o, "recommendation", None) == "return", []))
    return targets


TARGETS = _targets()


def test_the_targets_are_the_guides():
    ids = [t.id for t in TARGETS]
    # the guide's eight, the five alternatives its patterns and lines name (home network too), and "other"
    assert len([i for i in ids if i.startswith("cause-")]) == 8 + 5 + 1
    assert [i for i in ids if i.startswith("scenario-")] == [f"scenario-{x}" for x in "ABCDEFGH"]
    # the guide's three lists, and the Decision line of Step 2 that ends a case
    assert len([i for i in ids if i.startswith("threshold-")]) == 7 + 4 + 3 + len(K.thresholds.step_decisions) + len(
        K.thresholds.scenario_decisions
    )
    assert sorted(i[len("route-") :] for i in ids if i.startswith("route-")) == sorted(ROUTES)


@pytest.fixture(scope="module")
def engine() -> DiagnosisEngine:
    return DiagnosisEngine(K)


def _openings(causes: Sequence[str]) -> List[List[str]]:
    """Symptoms most likely to come with the target causes first; all 14 are tried."""
    if not causes:
        return [[s] for s in SYMPTOMS]
    prior = {c.id: c.frequency or 3.0 for c in K.causes}  # "other" has no field frequency
    score = {s: sum(prior[c] * K.cause(c).symptom_likelihood.get(s, 0.0) for c in causes) for s in SYMPTOMS}
    return [[s] for s in sorted(SYMPTOMS, key=lambda s: -score[s])]


def _check_outcome(target_id: str, outcome: Dict[str, Any], describe: str) -> None:
    kind, _, name = target_id.partition("-")
    if kind == "scenario":
        sc = next(s for s in K.fix_scenarios if s.id == name)
        assert outcome.cause == sc.cause, describe
        if sc.realised_by.move:
            assert outcome.type == "fix" and outcome.action == sc.realised_by.move, describe
        else:
            assert outcome.type == "escalation" and outcome.route == sc.realised_by.route, describe
        assert outcome.scenario.fix == sc.fix and outcome.scenario.verification == sc.verification
    elif kind == "threshold":
        met = {t.id: t for t in outcome.thresholds}
        assert outcome.type == "escalation", describe
        assert met[name].group == K.thresholds.group_of(name), describe
        assert met[name].text == K.threshold(name).text
    elif kind == "route":
        route = K.route(name)
        assert outcome.type == "escalation", describe
        assert outcome.text == route.text
        expected = {route.recommendation} | ({"return"} if route.recommendation == "replace" else set())
        assert outcome.recommendation in expected, describe
    elif kind == "recommendation":
        assert outcome.route in ("replace_camera", "sensor_faulty"), describe
        assert any(t.group == "return_recommended" for t in outcome.thresholds), describe
    elif kind == "cause":
        assert outcome.cause_name == K.cause(name).name


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_target_is_reachable(engine, target):
    idx = [engine.t.cause_index(c) for c in target.causes]
    prefer = (lambda state: float(posterior(engine.t, state)[idx].sum())) if idx else None
    path = Searcher(engine).find(target.goal, _openings(target.causes), prefer=prefer, allow_skip=target.allow_skip)
    assert path is not None, f"no conversation reaches {target.id}"
    describe = f"{target.id} via {path.describe()}"
    print(describe)

    step, state = replay(engine, path)
    assert isinstance(step, Finished), describe
    outcome = step.outcome
    assert target.goal(outcome), f"{describe}: replay ended with {outcome}"
    assert state.finished and outcome_from_dict(state.outcome) == outcome, describe
    assert outcome.cause in engine.t.causes, describe
    _check_outcome(target.id, outcome, describe)
