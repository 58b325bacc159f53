"""Conditions of the guide: any-of a list of all-of clauses of atoms (an answer, a symptom, a step's result)."""

from __future__ import annotations

from typing import List, Union

from pydantic import Field

from bot.knowledge.frozen import Frozen


class AnswerAtom(Frozen):
    """Holds when the (non-stale) answer to `answer` is one of `in_`."""

    answer: str
    in_: List[str] = Field(alias="in", min_items=1)


class SymptomAtom(Frozen):
    symptom: str


class FailedAtom(Frozen):
    """Holds when the repair action was tried and did not fix the camera."""

    failed: str


class FixedAtom(Frozen):
    """Holds when the customer says the repair action fixed the camera."""

    fixed: str


class RelapsedAtom(Frozen):
    """Holds when the repair action seemed to fix the camera and the fault was back at the post-fix
    checks ("Factory reset may temporarily fix, but failure recurs")."""

    relapsed: str


class SetAsideAtom(Frozen):
    """Holds when the customer could not do the step and it was set aside for good (skipped twice,
    or "I don't have a spare charger")."""

    set_aside: str


Atom = Union[AnswerAtom, SymptomAtom, FailedAtom, FixedAtom, RelapsedAtom, SetAsideAtom]
# Any-of a list of all-of clauses.
Condition = List[List[Atom]]


def action_of(atom: Atom) -> str:
    """The repair action a failed, fixed, relapsed or set-aside atom names."""
    if isinstance(atom, FailedAtom):
        return atom.failed
    if isinstance(atom, RelapsedAtom):
        return atom.relapsed
    if isinstance(atom, SetAsideAtom):
        return atom.set_aside
    assert isinstance(atom, FixedAtom)
    return atom.fixed
