"""How an entity the language pipeline found answers a question: a number in the ranges of a move's
`from_entity` rule ("two weeks" -> less than a month), or an LED colour and mode in its map."""

from __future__ import annotations

import math
from typing import Any, Dict, Optional

from bot.knowledge.moves import EntityRule


def option_from_entity(rule: EntityRule, ent: Dict[str, Any], asked: bool = False) -> Optional[str]:
    """The option an entity answers. `asked`: it answers the question put to the customer, so words
    that leave open what the number is ("about five months") take their meaning from the question;
    words that say otherwise ("offline for two days" to "how long have you had it?") still do not."""
    for key, wanted in rule.when.items():
        if ent.get(key) != wanted and not (asked and ent.get(key) is None):
            return None
    value = ent.get("value")
    if rule.ranges:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number):
            return None
        for band in rule.ranges:
            if band.below is None or number < band.below:
                return band.option
        return None
    if isinstance(value, dict):
        for led in rule.map:
            if (led.colour is None or led.colour == value.get("colour")) and (
                led.mode is None or led.mode == value.get("mode")
            ):
                if led.colour is None and led.mode is None:
                    continue
                return led.option
    return None
