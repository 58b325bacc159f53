"""Evaluate the guide's any-of/all-of conditions against a diagnosis state."""

from __future__ import annotations

from typing import Optional

from bot.engine.state import DiagnosisState
from bot.knowledge import model as m


def atom_holds(atom: m.Atom, state: DiagnosisState) -> bool:
    if isinstance(atom, m.AnswerAtom):
        return state.answer(atom.answer) in atom.in_
    if isinstance(atom, m.SymptomAtom):
        return atom.symptom in state.symptoms
    return state.failed(atom.failed)


def holds(condition: Optional[m.Condition], state: DiagnosisState) -> bool:
    """True when there is no condition, or any clause has all its atoms true."""
    if condition is None:
        return True
    return any(all(atom_holds(a, state) for a in clause) for clause in condition)
