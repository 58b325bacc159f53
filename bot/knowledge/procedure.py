"""The guide's procedure: triage tests, diagnostic steps, derived questions, physical and electrical checks, each
carrying the move that asks or does it.
"""

from __future__ import annotations

from typing import List

from bot.knowledge.frozen import Frozen
from bot.knowledge.moves import Move


class TriageTest(Frozen):
    number: int
    name: str
    instruction: str
    results: List[str]
    move: Move


class DiagnosticStep(Frozen):
    number: int
    name: str
    action: str
    expected: str
    failure: str
    decision: str
    move: Move


class DerivedQuestion(Frozen):
    source: str
    closing: bool = False
    # may be asked while a hazard is in use (about the adapter itself), in this order
    during_hazard: bool = False
    move: Move


class PhysicalCheck(Frozen):
    part: str
    check: str
    move: Move


class ElectricalCheck(Frozen):
    name: str
    check: str
    move: Move
