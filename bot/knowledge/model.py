"""Typed objects for every section of the field guide.

Pydantic 1.x (the version Rasa 3.6 pins) validates field types; cross-references and
probability sums are checked in `bot.knowledge.validation` once everything is loaded.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Sequence, Union

from pydantic import BaseModel, Field, StrictStr, root_validator, validator


class Frozen(BaseModel):
    class Config:
        allow_mutation = False
        extra = "forbid"


class Cost(Frozen):
    minutes: float = Field(gt=0)
    difficulty: float = Field(ge=1)
    reason: str

    @property
    def value(self) -> float:
        return self.minutes * self.difficulty


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


class Evidence(Frozen):
    """A "Confirms" or "Disproves" line of the guide, with the evidence that makes it true.

    `when` is checked against what the customer said and what the steps showed, never against
    answers merely assumed from the symptom. A line that no single conversation can observe
    ("if reset permanently resolves") says so in `later`: what the bot tells the customer instead.
    """

    text: str
    when: Optional[Condition] = None
    later: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _one(cls, values):
        if (values["when"] is None) == (values["later"] is None):
            raise ValueError("an evidence line has exactly one of `when` or `later`")
        return values


class Cause(Frozen):
    id: StrictStr
    rank: int
    name: str
    # the guide's field frequency in percent; 0 for a cause the guide names outside its ranking
    frequency: float = Field(ge=0, le=100)
    # prior share of a cause outside the ranking (frequency 0); the ranked causes fill the rest
    reserve: Optional[float] = Field(default=None, gt=0, lt=1)
    reserve_reason: Optional[str] = None
    why: str
    triggers: List[str]
    confirms: List[Evidence]
    disproves: List[Evidence]
    patterns: List[str]
    symptom_likelihood: Dict[str, float]

    @root_validator(skip_on_failure=True)
    def _reserve(cls, values):
        ranked = values["frequency"] > 0
        if ranked and values["reserve"] is not None:
            raise ValueError("a ranked cause (frequency > 0) takes no reserve")
        if not ranked and (values["reserve"] is None or not values["reserve_reason"]):
            raise ValueError("a cause outside the ranking needs a reserve and a reserve_reason")
        return values


class Pattern(Frozen):
    id: StrictStr
    name: str
    symptom: str
    when: str
    indicates: str
    does_not_indicate: str


class Implication(Frozen):
    move: str
    option: str


class Symptom(Frozen):
    id: StrictStr
    phrase: str
    says: str = Field(min_length=1)
    pattern: Optional[str]
    urgency: int
    safety: bool = False
    # what the complaint itself says ("blinking green" is the LED blinking green): the customer's words
    states: List[Implication] = []
    # what the guide's pattern suggests but the customer did not say: assumed, never evidence
    implies: List[Implication] = []
    # the guide's own test of this very complaint, answered before anything else (triage test 5 for
    # a reset button that is hard to press)
    check_first: Optional[str] = None
    # words that name this complaint whatever else the message says ("the app says it's offline, the
    # light is solid green"): when the language model is unsure, they make it a candidate to ask about
    keywords: List[str] = []
    # complaints of one kind ("offline", "won't connect after a reset") are one problem told two ways, not
    # two problems: a second complaint named by its keywords counts only from another kind
    kind: Optional[str] = None


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


class ResetBehaviour(Frozen):
    id: StrictStr
    name: str
    press: str
    response: str
    result: str
    factory_reset_options: List[str]


class FalseFix(Frozen):
    id: StrictStr
    fix: str
    reason: str
    safety: bool = False
    phrases: List[str] = Field(min_items=1)
    # symptoms for which this is a real fix, not a false one ("reinstall the app" for an app bug)
    not_for: List[str] = []
    # words right before a phrase that say the customer did the opposite ("turned off 5ghz")
    not_after: List[str] = []


class Realisation(Frozen):
    move: Optional[str] = None
    route: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _one(cls, values):
        if (values["move"] is None) == (values["route"] is None):
            raise ValueError("realised_by names exactly one of move or route")
        return values


class FixScenario(Frozen):
    id: StrictStr
    symptom: str
    cause: str
    cause_detail: Optional[str] = None
    fix: str
    verification: str
    realised_by: Realisation
    move: Optional[Move] = None


class OnlyIf(Frozen):
    symptoms: List[str] = []
    causes: List[str] = []


class FailedMeans(Frozen):
    move: StrictStr
    option: StrictStr


class PostFixCheck(Frozen):
    id: StrictStr
    name: str
    check: str
    only_if: Optional[OnlyIf] = None
    # how a customer names the check ("the power cycle one"), and what its failing tells about the
    # camera: the answer to a question, so that question is not asked right after
    words: List[str] = []
    failed_means: Optional[FailedMeans] = None


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


class Roles(Frozen):
    """The guide's items the program treats specially (data/knowledge/roles.yml)."""

    safety_action: StrictStr
    safety_notice_question: StrictStr
    safety_stop_causes: List[StrictStr]
    age_question: StrictStr
    cloud_cause: StrictStr
    first_month_threshold: StrictStr
    warranty_question: StrictStr


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
