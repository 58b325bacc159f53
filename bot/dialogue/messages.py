"""What comes in (a parsed customer message) and what goes out (replies with buttons)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

CHOOSE_INTENT = "choose"
# The entity of a /choose payload naming the question instance its button belongs to (see stamped()).
ASK_ENTITY = "ask"
REPLIES_FILE = Path(__file__).with_name("replies.yml")


@lru_cache(maxsize=1)
def fixed_replies() -> Dict[str, str]:
    return yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8"))


def choice_payload(kind: str, value: str) -> str:
    """A button payload: pressing it sends intent `choose` with entity option=kind|value."""
    return "/" + CHOOSE_INTENT + json.dumps({"option": f"{kind}|{value}"}, separators=(",", ":"))


# Buttons that act on the open question without naming an option: an old one must not skip this one.
QUESTION_COMMANDS = ("skip", "how_to")


def stamped(payload: str, token: str) -> str:
    """A /choose payload that also names the question instance it answers: a button of an earlier
    question (the same question asked again after a repair, another conversation's button) then
    cannot pass for an answer to the open one. "ask" goes last, so the payload still starts as before."""
    if payload in ["/" + c for c in QUESTION_COMMANDS]:
        return payload + json.dumps({ASK_ENTITY: token}, separators=(",", ":"))
    prefix = "/" + CHOOSE_INTENT
    if not payload.startswith(prefix + "{"):
        return payload
    try:
        data = json.loads(payload[len(prefix) :])
    except ValueError:
        return payload
    if not isinstance(data, dict):
        return payload
    data.pop(ASK_ENTITY, None)
    return prefix + json.dumps({**data, ASK_ENTITY: token}, separators=(",", ":"))


def unique_entities(entities: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The same thing said twice counts once ("blinking amber ... yes, it's the amber blinking")."""
    seen, out = set(), []
    for e in entities:
        key = (e.get("entity"), json.dumps(e.get("value"), sort_keys=True, default=str), e.get("role"))
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


@dataclass(frozen=True)
class Incoming:
    text: str
    intent: Optional[str] = None
    confidence: float = 0.0
    ranking: Tuple[Tuple[str, float], ...] = ()
    entities: Tuple[Dict[str, Any], ...] = ()
    sender: str = ""
    channel: str = ""
    events: Tuple[Dict[str, Any], ...] = ()  # the tracker's events of this session, for transcripts
    customer_name: str = ""  # the display name the channel gives, if any

    def entity(self, name: str) -> Optional[Any]:
        return next((e.get("value") for e in self.entities if e.get("entity") == name), None)

    def choice(self) -> Optional[Tuple[str, str]]:
        if self.intent != CHOOSE_INTENT:
            return None
        value = self.entity("option")
        if not isinstance(value, str) or "|" not in value:
            return None
        kind, _, rest = value.partition("|")
        return kind, rest

    def ask(self) -> Optional[str]:
        """The question instance a pressed button names, or None (a typed pick, an older button)."""
        value = self.entity(ASK_ENTITY) if self.intent in (CHOOSE_INTENT,) + QUESTION_COMMANDS else None
        return value if isinstance(value, str) else None


@dataclass
class Reply:
    text: str
    buttons: List[Tuple[str, str]] = field(default_factory=list)  # (title, payload)
    name: Optional[str] = None  # stable id of a fixed reply (bot/dialogue/replies.yml)
    agent: Optional[str] = None  # a support agent's name, when the reply is theirs (the web chat shows it)

    @classmethod
    def fixed(cls, name: str, buttons: Optional[List[Tuple[str, str]]] = None) -> "Reply":
        return cls(text=fixed_replies()[name], buttons=buttons or [], name=name)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"text": self.text}
        if self.name is not None:
            out["name"] = self.name
        if self.buttons:
            out["buttons"] = [{"title": t, "payload": p} for t, p in self.buttons]
        if self.agent:
            out["agent"] = self.agent
        return out
