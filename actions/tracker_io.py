"""Tracker <-> bot/ data: the latest message in, replies out."""

from __future__ import annotations

from typing import Any, Dict, Iterable

from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue.messages import Incoming, Reply, unique_entities
from bot.language.entity_check import believable

MAX_TEXT = 4000  # a pasted log should not slow every turn down
# what the engine reads of an entity: the customer's words, and what they measure or state
ENTITY_KEYS = ("entity", "value", "text", "role", "measured")


def channel_label(latest: Dict[str, Any], input_channel: str = "") -> str:
    """The customer's channel: Telegram in polling mode reaches Rasa over REST, but is Telegram."""
    metadata = (latest or {}).get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("telegram"), dict):
        return "telegram"
    return input_channel or ""


def customer_name(latest: Dict[str, Any]) -> str:
    """The display name the channel gives (Telegram's first and last name), or ''."""
    metadata = (latest or {}).get("metadata")
    telegram = metadata.get("telegram") if isinstance(metadata, dict) else None
    name = telegram.get("name") if isinstance(telegram, dict) else None
    return " ".join(str(name).split())[:255] if name else ""


def incoming(
    latest: Dict[str, Any], sender: str = "", channel: str = "", events: Iterable[Dict[str, Any]] = ()
) -> Incoming:
    latest = latest or {}
    intent = latest.get("intent") or {}
    ranking = tuple(
        (r.get("name"), float(r.get("confidence") or 0.0)) for r in latest.get("intent_ranking") or [] if r.get("name")
    )
    entities = tuple(
        unique_entities({k: e[k] for k in ENTITY_KEYS if k in e} for e in believable(latest.get("entities") or []))
    )
    return Incoming(
        text=(latest.get("text") or "")[:MAX_TEXT],
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        ranking=ranking,
        entities=entities,
        sender=sender or "",
        channel=channel_label(latest, channel),
        events=tuple(events or ()),
        customer_name=customer_name(latest),
    )


def dispatch(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
        extra = {"agent": reply.agent} if reply.agent else {}  # reaches the channel as message metadata
        dispatcher.utter_message(text=reply.text, buttons=buttons or None, **extra)
