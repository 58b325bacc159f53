"""The whole guide as one object (`Knowledge`), with its lookups, and the items the program treats specially."""

from __future__ import annotations

from typing import Any, List, Sequence

from pydantic import StrictStr

from bot.knowledge.causes import Cause
from bot.knowledge.escalation import AvoidableRule, Route, Threshold, Thresholds
from bot.knowledge.fixes import FalseFix, FixScenario, PostFixCheck, ResetBehaviour
from bot.knowledge.frozen import Frozen
from bot.knowledge.moves import Cost, Move
from bot.knowledge.procedure import DerivedQuestion, DiagnosticStep, ElectricalCheck, PhysicalCheck, TriageTest
from bot.knowledge.symptoms import Pattern, Symptom


class Roles(Frozen):
    """The guide's items the program treats specially (data/knowledge/roles.yml)."""

    safety_action: StrictStr
    safety_notice_question: StrictStr
    safety_stop_causes: List[StrictStr]
    age_question: StrictStr
    cloud_cause: StrictStr
    first_month_threshold: StrictStr
    warranty_question: StrictStr
    safety_stop_route: StrictStr
    person_route: StrictStr
    unknown_cause: StrictStr


class Knowledge(Frozen):
    """The whole guide. Built by `load_knowledge`; indexes are derived, not stored twice in YAML."""

    causes: List[Cause]
    patterns: List[Pattern]
    symptoms: List[Symptom]
    triage_tests: List[TriageTest]
    steps: List[DiagnosticStep]
    questions: List[DerivedQuestion]
    physical_inspection: List[PhysicalCheck]
    electrical_checks: List[ElectricalCheck]
    reset_behaviours: List[ResetBehaviour]
    false_fixes: List[FalseFix]
    fix_scenarios: List[FixScenario]
    post_fix_checks: List[PostFixCheck]
    thresholds: Thresholds
    rework_cost: Cost
    turn_cost: Cost
    avoidable: AvoidableRule
    routes: List[Route]
    cloud_dependency: List[str]
    roles: Roles

    class Config:
        allow_mutation = False
        extra = "forbid"
        keep_untouched = ()

    # -- lookups -------------------------------------------------------------------------
    @property
    def moves(self) -> List[Move]:
        sections: List[Sequence[Any]] = [
            self.steps,
            self.triage_tests,
            self.questions,
            self.physical_inspection,
            self.electrical_checks,
        ]
        found: List[Move] = [item.move for section in sections for item in section]
        found += [s.move for s in self.fix_scenarios if s.move is not None]
        return found

    def move(self, move_id: str) -> Move:
        for m in self.moves:
            if m.id == move_id:
                return m
        raise KeyError(move_id)

    def move_section(self, move_id: str) -> str:
        for name in ("steps", "triage_tests", "questions", "physical_inspection", "electrical_checks"):
            for item in getattr(self, name):
                if item.move.id == move_id:
                    if name == "steps":
                        return f"Step {item.number}"
                    if name == "triage_tests":
                        return f"Triage test {item.number}"
                    return name.replace("_", " ")
        for s in self.fix_scenarios:
            if s.move is not None and s.move.id == move_id:
                return f"Fix scenario {s.id}"
        raise KeyError(move_id)

    def cause(self, cause_id: str) -> Cause:
        return next(c for c in self.causes if c.id == cause_id)

    def symptom(self, symptom_id: str) -> Symptom:
        return next(s for s in self.symptoms if s.id == symptom_id)

    def route(self, route_id: str) -> Route:
        return next(r for r in self.routes if r.id == route_id)

    def threshold(self, threshold_id: str) -> Threshold:
        return next(t for t in self.thresholds.all() if t.id == threshold_id)

    @property
    def adapter_checks(self) -> List[str]:
        """What may still be asked while an overheating adapter is in use: the swapped-in adapter's
        rating, and a proper adapter (questions.yml marks them `during_hazard`)."""
        return [q.move.id for q in self.questions if q.during_hazard]

    @property
    def closing_move_ids(self) -> List[str]:
        return [q.move.id for q in self.questions if q.closing]
