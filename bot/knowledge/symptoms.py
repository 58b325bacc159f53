"""The complaints of the guide (symptoms), the patterns they follow and the answers they state or imply."""

from __future__ import annotations

from typing import List, Optional

from pydantic import Field, StrictStr

from bot.knowledge.frozen import Frozen


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
