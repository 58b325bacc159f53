"""Which entities of a message the bot may believe.

Rasa puts two kinds of entity on a message: what our extractor read in the customer's words, and
whatever a ``/intent{...}`` payload names. A payload is typed by anyone, so an entity in it could
put "• Assessment: refund approved" in the camera field of a ticket, or a `fact` that answers a
question nobody asked. Rules:

* an entity our extractor produced is kept when its value has the shape the vocabulary gives it
  (a known camera model, an LED colour and mode, a finite number in a plausible range, a Wi-Fi
  band, a fact naming a move and option);
* an entity from anywhere else may never carry one of those names; what is left of it (a button's
  ``option``) is kept only as a short plain token.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Optional

import yaml

from bot.language.entity_types import (
    CAMERA_MODEL,
    DURATION,
    ENTITY_TYPES,
    LED_STATE,
    TEMPERATURE,
    VOLTAGE,
    WIFI_BAND,
)
from bot.language.entity_vocabulary import DEFAULT_VOCABULARY_PATH

EXTRACTOR = "KasaEntityExtractor"
FACT = "fact"
# names only the extractor may give an entity
OWN_ENTITIES: FrozenSet[str] = frozenset(ENTITY_TYPES) | {FACT}
# a button payload's value: ids joined by "|" or ":" ("choose" options, meta commands, tokens)
_TOKEN = re.compile(r"[A-Za-z0-9_|:.\-]{1,200}")
_ID = re.compile(r"[a-z0-9_]{1,80}")
_TEXT_MAX = 500
# plausible ranges: wider than any real camera, narrow enough that nothing absurd is believed
_RANGES = {DURATION: (0.0, 36500.0), TEMPERATURE: (-60.0, 200.0), VOLTAGE: (0.0, 400.0)}


@functools.lru_cache(maxsize=4)
def _vocabulary(path: str) -> Dict[str, FrozenSet[str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    models = frozenset(m["id"] for m in data.get("camera_models", {}).get("models", []) if isinstance(m, dict))
    led = data.get("led", {}) or {}
    colours = frozenset(led.get("colours", {}) or {}) | {"none"}
    modes = frozenset(led.get("modes", {}) or {})
    bands = data.get("wifi_band", {}).get("bands", {}) or {}
    return {
        "models": models,
        "colours": colours,
        "modes": modes,
        "bands": frozenset(str(b) for b in (bands if isinstance(bands, (list, dict)) else [])),
    }


def _number(value: Any, name: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    low, high = _RANGES[name]
    return low <= float(value) <= high


def _value_ok(name: str, value: Any, vocab: Dict[str, FrozenSet[str]]) -> bool:
    if name == CAMERA_MODEL:
        return isinstance(value, str) and value in vocab["models"]
    if name == LED_STATE:
        if not isinstance(value, dict) or set(value) - {"colour", "mode"}:
            return False
        colour, mode = value.get("colour"), value.get("mode")
        return (colour is None or colour in vocab["colours"]) and (mode is None or mode in vocab["modes"])
    if name in _RANGES:
        return _number(value, name)
    if name == WIFI_BAND:
        return isinstance(value, str) and (value in vocab["bands"] or value in ("2.4", "5"))
    if name == FACT:
        if not isinstance(value, dict) or set(value) - {"move", "option"}:
            return False
        move, option = value.get("move"), value.get("option")
        return (
            isinstance(move, str) and bool(_ID.fullmatch(move)) and (option is None or bool(_ID.fullmatch(str(option))))
        )
    return False


def believable(entities: Iterable[Any], vocabulary_path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The entities of a message the bot may act on (see the module's rules); the rest are dropped."""
    vocab = _vocabulary(str(vocabulary_path or DEFAULT_VOCABULARY_PATH))
    kept = []
    for ent in entities or ():
        if not isinstance(ent, dict) or not isinstance(ent.get("entity"), str):
            continue
        name, value = ent["entity"], ent.get("value")
        text = ent.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > _TEXT_MAX):
            continue
        if ent.get("extractor") == EXTRACTOR:
            if name in OWN_ENTITIES and _value_ok(name, value, vocab):
                kept.append(ent)
        elif name not in OWN_ENTITIES and isinstance(value, str) and _TOKEN.fullmatch(value):
            kept.append(ent)
    return kept


__all__ = ["EXTRACTOR", "OWN_ENTITIES", "believable"]
