"""What a setting is: a :class:`Variable` of one group, and the error a value the project cannot use raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

Value = Union[str, int, float, None]

SERVERS, DATABASE, REDIS, TELEGRAM, HANDOFF, WEBCHAT, LIMITS = (
    "Rasa and the servers",
    "Database",
    "Redis",
    "Telegram",
    "Hand-off to a person",
    "Web chat",
    "Limits",
)
GROUPS = (SERVERS, DATABASE, REDIS, TELEGRAM, HANDOFF, WEBCHAT, LIMITS)


class SettingError(ValueError):
    """An environment variable has a value the project cannot use; the message names it."""


@dataclass(frozen=True)
class Variable:
    name: str
    group: str
    type: type  # str, int or float
    default: Value  # None: unset (nothing, or what the help says)
    help: str
    #: "python": read through bot.settings; "scripts": only by scripts/ (and the YAML they feed Rasa)
    read_by: str = "python"
    #: a number below this is invalid
    minimum: Optional[float] = None
    #: what an invalid number does: "error" (SettingError) or "default" (a warning, then the default)
    on_invalid: str = "error"
