"""The guide's "Confirms" and "Disproves" lines, read against a diagnosis.

A line holds when the evidence named in its `when` does: what the customer said or a step showed,
never an answer assumed from the symptom. A disproved cause gets no belief and is never named;
a confirming line that holds is given as a reason when its cause is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from bot.engine.conditions import holds, witnesses
from bot.engine.state import DiagnosisState, Observation
from bot.knowledge.causes import Evidence
from bot.knowledge.guide import Knowledge


@dataclass(frozen=True)
class LineHeld:
    cause: str
    line: Evidence
    observations: Tuple[Observation, ...]


def disproved(k: Knowledge, state: DiagnosisState) -> Dict[str, LineHeld]:
    """Causes a "Disproves" line rules out, with the line and what met it."""
    found: Dict[str, LineHeld] = {}
    for cause in k.causes:
        for line in cause.disproves:
            if line.when is not None and holds(line.when, state):
                found[cause.id] = LineHeld(cause.id, line, tuple(witnesses(line.when, state) or ()))
                break
    return found


def confirmed(k: Knowledge, state: DiagnosisState, cause_id: str) -> List[LineHeld]:
    """The cause's "Confirms" lines that hold."""
    cause = k.cause(cause_id)
    return [
        LineHeld(cause_id, line, tuple(witnesses(line.when, state) or ()))
        for line in cause.confirms
        if line.when is not None and holds(line.when, state)
    ]


def later_lines(k: Knowledge, cause_id: str) -> List[str]:
    """What the customer is told about a line no single conversation can observe."""
    cause = k.cause(cause_id)
    return [line.later for line in cause.confirms + cause.disproves if line.later]
