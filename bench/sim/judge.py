"""Scoring how a simulated case ended, against the situation's truth.

strict:  fixed; or escalated along the guide's route for the case with the true cause named, with no
         avoidable ending and no threshold met by an assumption.
lenient: fixed; or escalated along the guide's route for the case, or handed to a person naming the
         true cause (what the benchmark counted before).
"""

from __future__ import annotations

from typing import Optional, Sequence

from bench.sim.types import Truth
from bot.knowledge.guide import Knowledge

ENDS_CAMERA_OR_CASE = {"replace", "return", "human_support"}


def is_avoidable(recommendation: str, truth: Truth, tried: Sequence[str], excused: Sequence[str] = ()) -> bool:
    """A replacement, a return or a hand-off while a guide fix for this case is untried. `excused`:
    fixes that could not be done here (the customer could not, or what they need was never there:
    no bent pin to straighten)."""
    if recommendation not in ENDS_CAMERA_OR_CASE:
        return False
    return bool(truth.avoidable_if_untried - set(tried) - set(excused))


def ending_cost(k: Knowledge, route: str, correct: bool, named_right: bool, truth: Optional[Truth] = None) -> float:
    """What the ending costs the customer and the support team; a wrong ending adds the rework of
    diagnosing again, a right route naming the wrong cause half of it (the agent re-checks). A hand-off
    resolves nothing by itself: the agent still ends the case the guide's way, at that ending's cost."""
    cost = k.route(route).value
    if not correct:
        cost += k.rework_cost.value
    elif not named_right:
        cost += k.rework_cost.value / 2
    if route == "human_support" and truth is not None:
        cost += resolution_cost(k, truth)
    return cost


def resolution_cost(k: Knowledge, truth: Truth) -> float:
    """The cheapest way the guide ends this case, once a person has it: a fix this customer can do,
    or the guide's route; nothing more when a person is the guide's only route."""
    options = [k.route(r).value for r in truth.routes if r != "human_support"]
    options += [k.move(a).cost.value + k.turn_cost.value for a in truth.avoidable_if_untried]
    return min(options) if options else 0.0


def verdict(
    truth: Truth,
    ending: str,
    recommendation: str,
    named: Optional[str],
    tried: Sequence[str],
    assumed: bool,
    excused: Sequence[str] = (),
):
    """(strict, lenient, avoidable) for one ending. `ending` is "fix" or a route id."""
    if ending == "fix":
        return True, True, False
    named_right = named in truth.named
    on_route = ending in truth.routes
    avoidable = is_avoidable(recommendation, truth, tried, excused)
    lenient = (
        (on_route and ending != "human_support")
        or (ending == "human_support" and named_right)
        or (on_route and named_right)
    )
    strict = on_route and named_right and not avoidable and not assumed
    return strict, lenient, avoidable
