"""The causes of the guide: ranking, priors, symptom likelihoods, and the evidence that confirms or disproves them."""

from __future__ import annotations

from typing import Dict, List, Optional

from pydantic import Field, StrictStr, root_validator

from bot.knowledge.conditions import Condition
from bot.knowledge.frozen import Frozen, exactly_one_of


class Evidence(Frozen):
    """A "Confirms" or "Disproves" line of the guide, with the evidence that makes it true.

    `when` is checked against what the customer said and what the steps showed, never against
    answers merely assumed from the symptom. A line that no single conversation can observe
    ("if reset permanently resolves") says so in `later`: what the bot tells the customer instead.
    """

    text: str
    when: Optional[Condition] = None
    later: Optional[str] = None

    _one = exactly_one_of("when", "later", "an evidence line has exactly one of `when` or `later`")


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
