"""What the entity extractor returns: the entity names, their values and the ``Entity`` record.

Entity values:

* ``camera_model``: canonical model id, e.g. ``"KC105"``
* ``led_state``: ``{"colour": "green"|"amber"|"red"|"none"|None,
  "mode": "solid"|"blinking"|None}``
* ``duration``: float days
* ``temperature``: float degrees Celsius
* ``voltage``: float volts
* ``wifi_band``: ``"2.4"`` or ``"5"``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

from spacy.tokens import Span

# Public entity names.
CAMERA_MODEL = "camera_model"
LED_STATE = "led_state"
DURATION = "duration"
TEMPERATURE = "temperature"
VOLTAGE = "voltage"
WIFI_BAND = "wifi_band"
ENTITY_TYPES: Tuple[str, ...] = (
    CAMERA_MODEL,
    LED_STATE,
    DURATION,
    TEMPERATURE,
    VOLTAGE,
    WIFI_BAND,
)
# The vocabulary sections whose entities are a number with a unit.
NUMERIC_SECTIONS = (DURATION, TEMPERATURE, VOLTAGE, WIFI_BAND)

Value = Union[str, float, Dict[str, Optional[str]]]


@dataclass(frozen=True)
class Entity:
    """One extracted entity; ``text == message[start:end]``."""

    entity: str
    value: Value
    start: int
    end: int
    text: str

    def as_dict(self) -> Dict[str, Any]:
        """The entity as a plain dict (a fresh copy of dict values)."""
        value = dict(self.value) if isinstance(self.value, dict) else self.value
        return {
            "entity": self.entity,
            "value": value,
            "start": self.start,
            "end": self.end,
        }


def span_entity(name: str, value: Value, span: Span) -> Entity:
    """The entity ``name`` covering ``span``, in the message's character offsets."""
    start, end = span.start_char, span.end_char
    text = span.text
    # a unit that swallowed the full stop ("5G.")
    if name != LED_STATE and len(text) > 1 and text.endswith(".") and not text[-2].isdigit():
        end -= 1
        text = text[:-1]
    return Entity(name, value, start, end, text)
