"""What fixes the camera and what does not: reset behaviours, false fixes, fix scenarios and post-fix checks."""

from __future__ import annotations

from typing import List, Optional

from pydantic import Field, StrictStr

from bot.knowledge.frozen import Frozen, exactly_one_of
from bot.knowledge.moves import Move


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

    _one = exactly_one_of("move", "route", "realised_by names exactly one of move or route")


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
