"""What a simulated case is, to the runner and the judge.

A *situation* is one customer with one camera: the true cause, what they say first, and how they
answer each question or step. Worlds make situations (`model_world`: from the engine's own numbers;
`world`: written from the guide without them). A *policy* runs the conversation (the engine, the
guide's procedure, escalating at once). The *judge* scores how it ended against the situation's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Protocol, Sequence, Tuple

FIXED = "fixed"  # the answer "Yes, it works now" to a repair step
SKIP = "skip"  # the customer cannot do this now (no spare adapter, no second card, no meter)


@dataclass(frozen=True)
class Truth:
    """What a careful agent following the guide would accept as the ending of this case.

    cause:       the true cause: an engine cause id, or a world label for a cause outside the guide
    named:       the engine cause ids an ending may name for this case ({"other"} for a cause the
                 guide does not document)
    routes:      the engine route ids that are the guide's route for this case (e.g. replace_camera,
                 wait_for_outage, clear_cloud_registration, report_app_bug, sensor_faulty,
                 safety_stop, human_support)
    avoidable_if_untried: repair steps (engine move ids) that are the guide's fix for this case with a
                 real chance of working and that the customer could do; ending in a replacement, a
                 return or a hand-off while one of them is untried is an *avoidable* ending
    """

    cause: str
    named: FrozenSet[str]
    routes: FrozenSet[str]
    avoidable_if_untried: FrozenSet[str] = frozenset()
    # the engine's own world does not know which fixes this camera could take: a fix whose
    # precondition never held there (no bent pin to straighten) is excused
    excuse_unmet_requires: bool = False


class Situation(Protocol):
    """One simulated customer. `respond` may keep state (a customer who swapped the adapter has it)."""

    truth: Truth
    symptoms: Tuple[str, ...]  # the opening symptom ids, as the language layer would read them
    opening: Tuple[Dict[str, Any], ...]  # entities of the opening message: fact, duration (role), led_state...

    def respond(self, move_id: str, options: Sequence[Tuple[str, str]], is_action: bool) -> str:
        """An option id of `options`, FIXED for a repair that worked, or SKIP."""
        ...

    def checks_pass(self, move_id: str) -> bool:
        """After a repair the customer said worked: do the guide's post-fix checks pass?"""
        ...


@dataclass
class CaseResult:
    truth: Truth
    symptoms: Tuple[str, ...]
    ending: str  # "fix" | route id
    recommendation: str  # "fix" | the route's recommendation (replace, return, human_support, ...)
    named: Optional[str]
    moves: List[str] = field(default_factory=list)
    questions: int = 0
    actions: int = 0
    closing: int = 0
    cost: float = 0.0  # customer and support minutes, rework included
    strict: bool = False
    lenient: bool = False
    avoidable: bool = False  # a replacement/return/hand-off with a guide fix for the case untried
    assumed: bool = False  # a threshold of the ending rests on an answer assumed from the symptom
    note: str = ""

    @property
    def cause(self) -> str:
        return self.truth.cause

    @property
    def escalated(self) -> bool:
        return self.ending != "fix"
