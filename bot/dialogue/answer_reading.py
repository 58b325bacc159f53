"""What the answer reader makes of a typed reply: the reply taken apart, how the options' phrases fit it,
and the reading it ends with (bot/dialogue/answers.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import numpy as np


@dataclass(frozen=True)
class Reading:
    """What a typed reply says about the open question."""

    option: Optional[str] = None  # the option meant, when clear
    between: Tuple[str, ...] = ()  # options it stays close to: ask which one
    polarity: Optional[str] = None  # "yes" / "no" the reply opened with
    score: float = 0.0
    waiting: bool = False  # no answer yet, and says so ("one sec", "ok checking now")


@dataclass(frozen=True)
class ReplyParts:
    """A typed reply taken apart for scoring against the options."""

    folded: str
    tokens: List[str]
    polarity: Optional[str]  # the yes/no it is read with
    rest: str  # what follows that yes/no
    bare: bool  # the yes/no and nothing more
    said_negated: bool
    asserted: Tuple[str, ...]
    denied: Tuple[str, ...]
    said: List[str]  # asserted, then denied
    vector: Optional[np.ndarray]  # of `rest`; None for a bare yes/no


@dataclass
class OptionScores:
    """How the options' phrases fit a reply."""

    scored: List[Tuple[float, str]] = field(default_factory=list)  # (best phrase's score, option)
    polar: List[str] = field(default_factory=list)  # options of the polarity the reply opened with
    contrary: Set[str] = field(default_factory=set)  # options a phrase of which the reply denies word for word
    support: Dict[str, float] = field(default_factory=dict)  # options a phrase of the reply's negation fits: how well
