"""The base of every item of the field guide: immutable, and no key the model does not know.

Pydantic 1.x (the version Rasa 3.6 pins) validates field types; cross-references and
probability sums are checked in `bot.knowledge.validation` once everything is loaded.
"""

from __future__ import annotations

from typing import Any, Dict

from pydantic import BaseModel, root_validator


class Frozen(BaseModel):
    class Config:
        allow_mutation = False
        extra = "forbid"


def exactly_one_of(first: str, second: str, message: str) -> Any:
    """A root validator for an item that takes one of two fields, never both or neither."""

    def check(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (values[first] is None) == (values[second] is None):
            raise ValueError(message)
        return values

    # allow_reuse: every item that uses it gets a function of the same name
    return root_validator(skip_on_failure=True, allow_reuse=True)(check)
