"""Every "Confirms" and "Disproves" line of the guide acts on the belief (data/knowledge/causes.yml):
the evidence a confirming line names makes its cause likelier, the evidence a disproving line names
takes its cause out, and a disproved cause is never named."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from bot.engine import DiagnosisEngine
from bot.engine.evidence import disproved
from bot.engine.state import OBSERVED, SAID, DiagnosisState, Observation
from bot.knowledge import load_knowledge
from bot.knowledge.causes import Evidence
from bot.knowledge.conditions import AnswerAtom, FailedAtom, FixedAtom, RelapsedAtom, SymptomAtom

K = load_knowledge()


def _lines(kind: str) -> List[Tuple[str, Evidence]]:
    return [(c.id, line) for c in K.causes for line in getattr(c, kind) if line.when is not None]


def _state_for(clause, cause: str) -> DiagnosisState:
    """A state where one clause of a line holds, from what the customer said or a step showed, for a
    customer who opened with the cause's commonest symptom when the line names none."""
    symptoms = [a.symptom for a in clause if isinstance(a, SymptomAtom)]
    likeliest = max(K.cause(cause).symptom_likelihood.items(), key=lambda x: x[1])[0]
    state = DiagnosisState(symptoms=symptoms or [likeliest])
    for atom in clause:
        if isinstance(atom, AnswerAtom):
            kind = "failed" if K.move(atom.answer).kind == "action" else "answer"
            source = OBSERVED if kind == "failed" else SAID
            state.observations.append(Observation(atom.answer, kind, atom.in_[0], source, asked=True))
        elif isinstance(atom, FailedAtom):
            state.observations.append(Observation(atom.failed, "failed", None, OBSERVED))
        elif isinstance(atom, FixedAtom):
            state.observations.append(Observation(atom.fixed, "fixed", None, OBSERVED))
        elif isinstance(atom, RelapsedAtom):
            state.observations.append(Observation(atom.relapsed, "failed", None, OBSERVED, relapsed=True))
    return state


@pytest.fixture(scope="module")
def engine() -> DiagnosisEngine:
    return DiagnosisEngine(K)


@pytest.mark.parametrize("cause, line", _lines("confirms"), ids=lambda x: getattr(x, "text", x))
def test_a_confirming_line_makes_its_cause_likelier(engine, cause, line):
    i = engine.t.cause_index(cause)
    for clause in line.when:
        state = _state_for(clause, cause)
        if any(isinstance(a, FixedAtom) for a in clause):
            continue  # a repair that worked ends the case: its line names the cause of the fix (below)
        bare = (
            DiagnosisState(symptoms=list(state.symptoms))
            if not any(isinstance(a, SymptomAtom) for a in clause)
            else DiagnosisState(symptoms=[])
        )
        before = engine.belief(bare)[i] if bare.symptoms else engine.t.prior[i]
        assert engine.belief(state)[i] > before, f"{cause}: {line.text} ({clause})"


def test_a_fix_that_confirms_a_cause_names_it(engine):
    state = engine.start(["pet_not_detected"])
    step = engine.next_step(state)
    while step.move.id != "motion_sensitivity":
        engine.answer(
            state, step.move.id, "detects_you_not_pet" if step.move.id == "motion_test" else step.options[-1][0]
        )
        step = engine.next_step(state)
    engine.answer(state, "motion_sensitivity", "fixed")
    outcome = engine.next_step(state).outcome
    assert outcome.cause == "motion_sensitivity"
    assert "Adjusting sensitivity helps." in [r.text for r in outcome.confirmed]


@pytest.mark.parametrize("cause, line", _lines("disproves"), ids=lambda x: getattr(x, "text", x))
def test_a_disproving_line_takes_its_cause_out_and_it_is_never_named(engine, cause, line):
    i = engine.t.cause_index(cause)
    for clause in line.when:
        state = _state_for(clause, cause)
        assert cause in disproved(K, state), f"{cause}: {line.text}"
        assert engine.belief(state)[i] == 0.0
        # whatever ending the engine reaches from here, it does not name the disproved cause
        for route in K.routes:
            if route.safety_only:
                continue
            covers = [c.id for c in K.causes] if route.covers == "all" else list(route.covers) or [cause]
            outcome = __import__("bot.engine.outcome", fromlist=["x"]).escalation_outcome(
                K, engine.t, state, route.id, covers, engine.belief(state)
            )
            assert outcome.cause != cause, f"{route.id} named {cause} although {line.text!r} holds"


def test_an_assumed_answer_disproves_nothing(engine):
    state = engine.start(["offline_after_months"])  # assumes "resets did not help"
    assert disproved(K, state) == {}


def test_a_line_no_conversation_can_observe_is_told_after_the_fix():
    cause = K.cause("config_corruption")
    later = [line.later for line in cause.disproves if line.later]
    assert later, "cause 2's 'If reset permanently resolves' is told, not observed"
    engine = DiagnosisEngine(K)
    state = engine.start(["wont_connect_after_reset"])
    state.pending = "factory_reset"
    engine.answer(state, "factory_reset", "fixed")
    outcome = engine.next_step(state).outcome
    if outcome.cause == "config_corruption":
        assert later[0] in outcome.later
