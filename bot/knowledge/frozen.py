"""The base of every item of the field guide: immutable, and no key the model does not know.

Pydantic 1.x (the version Rasa 3.6 pins) validates field types; cross-references and
probability sums are checked in `bot.knowledge.validation` once everything is loaded.
"""

from __future__ import annotations

from pydantic import BaseModel


class Frozen(BaseModel):
    class Config:
        allow_mutation = False
        extra = "forbid"
