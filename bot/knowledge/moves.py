"""A move of the guide: a question or an action, its answers (options), its cost and what it needs."""

from __future__ import annotations

from typing import Dict, List, Literal, Optional, Union

from pydantic import Field, StrictStr, root_validator, validator

from bot.knowledge.conditions import Condition
from bot.knowledge.frozen import Frozen


class Cost(Frozen):
    minutes: float = Field(gt=0)
    difficulty: float = Field(ge=1)
    reason: str

    @property
    def value(self) -> float:
        return self.minutes * self.difficulty


class Option(Frozen):
    id: StrictStr
    label: str
    likelihood: Dict[str, float]
    safety_stop: bool = False
    reset_behaviour: Optional[str] = None
    # the guide's reading of this result, told to the customer when they give it
    # (triage test 5: "Difficult but possible: design flaw, not failure")
    note: Optional[str] = None

    @validator("likelihood")
    def _probabilities(cls, value: Dict[str, float]) -> Dict[str, float]:
        for cause, p in value.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"likelihood for {cause!r} is {p}, not a probability")
        return value


class RangeRule(Frozen):
    below: Optional[float] = None
    option: str


class LedRule(Frozen):
    colour: Optional[str] = None
    mode: Optional[str] = None
    option: str


class EntityRule(Frozen):
    """How an entity the language pipeline found answers this move."""

    entity: str
    # keys the entity must carry ({role: age}: a duration that is the camera's age, not the fault's)
    when: Dict[str, Union[StrictStr, bool]] = {}
    ranges: List[RangeRule] = []
    map: List[LedRule] = []


class Preface(Frozen):
    """Said before a step's prompt when its condition holds: the step asked for a reason the customer
    should hear ("you said you have no spare adapter: this means getting one")."""

    when: Condition
    text: str


class Move(Frozen):
    id: StrictStr
    kind: Literal["question", "action"]
    prompt: str
    how_to: str
    # a few words for a summary line ("Factory reset and set up again"): the prompt is the instruction
    title: Optional[str] = None
    cost: Cost
    safety: Optional[str] = None
    requires: Optional[Condition] = None
    from_entity: Optional[EntityRule] = None
    # questions
    options: List[Option] = []
    # actions
    fixes: Dict[str, float] = {}
    # P(the step seems to fix it, then the fault is back at the post-fix checks | cause): a relapse
    # is evidence of its own, not a plain failure
    relapses: Dict[str, float] = {}
    failure_options: List[Option] = []
    stales: List[str] = []
    # an action the customer already did before the conversation, by what they said
    # ("reset it twice, it came back and failed again" is a factory reset tried)
    tried_if: Optional[Condition] = None
    # what makes the step impossible for this customer (a reset button that cannot be pressed)
    unless: Optional[Condition] = None
    preface: List[Preface] = []

    @root_validator(skip_on_failure=True)
    def _shape(cls, values):
        if values["kind"] == "question":
            if len(values["options"]) < 2:
                raise ValueError("a question needs at least two options")
            if values["fixes"] or values["failure_options"] or values["tried_if"] or values["relapses"]:
                raise ValueError("a question has no fixes/relapses/failure_options/tried_if")
        else:
            if not values["fixes"]:
                raise ValueError("an action needs `fixes`")
            if not values["failure_options"]:
                raise ValueError("an action needs at least one failure option")
            if values["options"]:
                raise ValueError("an action has failure_options, not options")
        ids = [o.id for o in values["options"] + values["failure_options"]]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate option ids in {ids}")
        return values

    @property
    def answer_options(self) -> List[Option]:
        """What the customer can answer: for an action, 'fixed' is answered separately."""
        return self.options if self.kind == "question" else self.failure_options

    def option(self, option_id: str) -> Optional[Option]:
        return next((o for o in self.answer_options if o.id == option_id), None)

    @property
    def safety_options(self) -> List[str]:
        return [o.id for o in self.answer_options if o.safety_stop]
