"""How a case ends (escalation.yml): thresholds, routes and when an ending is avoidable."""

from __future__ import annotations

from typing import List, Literal, Optional, Union

from pydantic import Field, StrictStr

from bot.knowledge.conditions import Condition
from bot.knowledge.frozen import Frozen
from bot.knowledge.moves import Cost


class Threshold(Frozen):
    id: StrictStr
    text: str
    causes: List[str] = []
    when: Optional[Condition] = None
    annotation: bool = False
    # a customer reads this instead of `text` where `text` quotes the guide by its step or cause numbers
    says: Optional[str] = None


THRESHOLD_GROUPS = (
    "replacement_required",
    "no_repair_possible",
    "return_recommended",
    "step_decisions",
    "scenario_decisions",
)


class Thresholds(Frozen):
    replacement_required: List[Threshold]
    no_repair_possible: List[Threshold]
    return_recommended: List[Threshold]
    # the Decision lines of the diagnostic steps that end a case ("If no response, hardware dead (replace)")
    step_decisions: List[Threshold] = []
    # the confirmed fix scenarios whose fix ends a case ("offline after 2 months, reset doesn't help")
    scenario_decisions: List[Threshold] = []

    def all(self) -> List[Threshold]:
        return (
            self.replacement_required
            + self.no_repair_possible
            + self.return_recommended
            + self.step_decisions
            + self.scenario_decisions
        )

    def group_of(self, threshold_id: str) -> str:
        for group in THRESHOLD_GROUPS:
            if any(t.id == threshold_id for t in getattr(self, group)):
                return group
        raise KeyError(threshold_id)


Recommendation = Literal["replace", "return", "contact_support", "wait_for_outage", "human_support", "safety"]


class Route(Frozen):
    id: StrictStr
    recommendation: Recommendation
    text: str
    thresholds: List[str] = []
    covers: Union[Literal["all"], List[str]] = []
    when: Optional[Condition] = None
    closing_questions: List[str] = []
    safety_only: bool = False
    cost: Cost  # the customer's
    support_cost: Cost  # the support team's: an agent's time, a unit and its shipping

    @property
    def value(self) -> float:
        return self.cost.value + self.support_cost.value


class AvoidableRule(Frozen):
    """When an ending is avoidable: a guide fix with a real chance of working for a still-likely
    cause is untried. The engine never takes such an ending on its own initiative."""

    min_cause_belief: float = Field(gt=0, lt=1)
    min_fix_chance: float = Field(gt=0, lt=1)
    # causes the rule does not speak for: what a step might do for an unknown cause is a guess
    not_for: List[str] = []
    # the endings it holds back: those that cost a camera or hand the case over (waiting out an
    # outage or clearing a cloud registration cost neither)
    endings: List[Recommendation]
    reason: str
    # steps of the guide's procedure that come before any replacement it decides, whatever the belief
    # (Step 1's adapter swap precedes the replacements of Steps 2-3), while the customer can do them
    before_replacing: List[str] = []
    before_replacing_reason: str = ""
