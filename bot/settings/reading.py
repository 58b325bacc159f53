"""Reading a variable by name: its value, or its default, and what a blank or bad value means."""

from __future__ import annotations

import logging
import os
from typing import Dict, Optional, Tuple

from bot.settings import handoff, limits, servers, storage, telegram, web_chat
from bot.settings.variable import SettingError, Value, Variable

# the package's name, not this module's: warnings about a bad value keep coming from "bot.settings"
logger = logging.getLogger(__package__)

#: Every variable, by group in the order of :data:`bot.settings.variable.GROUPS`.
VARIABLES: Tuple[Variable, ...] = (
    servers.VARIABLES
    + storage.VARIABLES
    + telegram.VARIABLES
    + handoff.VARIABLES
    + web_chat.VARIABLES
    + limits.VARIABLES
)

BY_NAME: Dict[str, Variable] = {v.name: v for v in VARIABLES}


def raw(name: str) -> Optional[str]:
    """The variable's value, stripped; None when unset or blank."""
    if name not in BY_NAME:
        raise KeyError(f"{name} is not in bot.settings.VARIABLES")
    value = os.environ.get(name, "").strip()
    return value or None


def text(name: str) -> Optional[str]:
    """A text variable: its value, else its default (None when it has none)."""
    value = raw(name)
    if value is not None:
        return value
    default = BY_NAME[name].default
    return None if default is None else str(default)


def number(name: str) -> float:
    """A number variable (int or float, as :data:`VARIABLES` says): its value, else its default."""
    var = BY_NAME[name]
    default = default_number(name)
    value = raw(name)
    if value is None:
        return default
    kind = "a whole number" if var.type is int else "a number"
    try:
        parsed = var.type(value)
    except ValueError:
        problem = f"{name} must be {kind}, not {value!r}"
    else:
        if var.minimum is None or parsed >= var.minimum:
            return parsed
        problem = f"{name} must be {kind} of at least {show(var.minimum)}, not {value!r}"
    if var.on_invalid == "default":
        logger.warning("%s; using the default %s", problem, show(default))
        return default
    raise SettingError(problem)


def default_number(name: str) -> float:
    """A number variable's default (what it is when unset)."""
    var = BY_NAME[name]
    if var.type not in (int, float) or var.default is None:
        raise TypeError(f"{name} is not a number variable")
    return var.type(var.default)


def integer(name: str) -> int:
    return int(number(name))


def show(value: Value) -> str:
    """A value as .env.example and the warnings write it: nothing for None, 600 rather than 600.0."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
