"""Evaluate the guide's any-of/all-of conditions against a diagnosis state.

Conditions read only evidence: what the customer said and what the steps showed. An answer merely
assumed from the symptom ("offline after months" suggests resets did not help) never meets a
threshold, a route, a step's precondition or a "Confirms"/"Disproves" line.
"""

from __future__ import annotations

from typing import List, Optional

from bot.engine.state import DiagnosisState, Observation
from bot.knowledge.conditions import (
    AnswerAtom,
    Atom,
    Condition,
    FailedAtom,
    FixedAtom,
    RelapsedAtom,
    SetAsideAtom,
    SymptomAtom,
)

SET_ASIDE = 2  # skips after which a step is not offered again


def atom_holds(atom: Atom, state: DiagnosisState, asked: bool = False) -> bool:
    if isinstance(atom, AnswerAtom):
        if asked:
            return state.asked_answer(atom.answer) in atom.in_
        return state.evidence_answer(atom.answer) in atom.in_
    if isinstance(atom, SymptomAtom):
        return atom.symptom in state.symptoms
    if isinstance(atom, FixedAtom):
        return state.fixed(atom.fixed)
    if isinstance(atom, RelapsedAtom):
        return state.relapsed(atom.relapsed)
    if isinstance(atom, SetAsideAtom):
        return state.skipped.get(atom.set_aside, 0) >= SET_ASIDE
    return state.failed(atom.failed)


def holds(condition: Optional[Condition], state: DiagnosisState, asked: bool = False) -> bool:
    """True when there is no condition, or any clause has all its atoms true. With `asked`, only
    answers the customer gave to the question itself count (not a fact volunteered in a message)."""
    if condition is None:
        return True
    return any(all(atom_holds(a, state, asked) for a in clause) for clause in condition)


def witnesses(condition: Optional[Condition], state: DiagnosisState) -> Optional[List[Observation]]:
    """The observations behind the first clause that holds (symptoms are the complaint itself and add
    none), or None when the condition does not hold."""
    for clause in condition or ():
        if all(atom_holds(a, state) for a in clause):
            found: List[Observation] = []
            for atom in clause:
                if isinstance(atom, AnswerAtom):
                    obs = state.evidence(atom.answer)
                elif isinstance(atom, (FailedAtom, FixedAtom)):
                    move = atom.failed if isinstance(atom, FailedAtom) else atom.fixed
                    kind = "failed" if isinstance(atom, FailedAtom) else "fixed"
                    obs = next((o for o in reversed(state.observations) if o.move == move and o.kind == kind), None)
                elif isinstance(atom, RelapsedAtom):
                    obs = next(
                        (o for o in reversed(state.observations) if o.move == atom.relapsed and o.relapsed), None
                    )
                else:
                    obs = None
                if obs is not None:
                    found.append(obs)
            return found
    return None
