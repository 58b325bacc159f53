"""The full transcript of a conversation, every session, from Rasa's SQL tracker store.

Rasa hands the action server only the latest session, so the hand-off reads the `events`
table itself (same database) and adds the events of the current turn not stored yet.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

#: Payloads a customer sends without a button of the bot's (Telegram commands, the web chat's links).
KNOWN_PAYLOADS = {"/human_handoff": "Talk to a person", "/start_over": "Start over"}
#: What channels send the bot on their own; no customer wrote it.
CHANNEL_PAYLOADS = ("/handoff_event",)


def pressed(text: str, offered: Dict[str, str]) -> str:
    """A payload the customer sent, as the button they pressed reads ("Pressed “Still not detected”")."""
    title = offered.get(text) or KNOWN_PAYLOADS.get(text.split("{", 1)[0] if text.startswith("/") else text)
    return f"Pressed \u201c{title}\u201d" if title else "Pressed a button of an earlier message"


def entry(event: Dict[str, Any], offered: Optional[Dict[str, str]] = None) -> Dict[str, Any] | None:
    kind = event.get("event")
    stamp = event.get("timestamp")
    if kind == "user":
        text = event.get("text") or ""
        if text.startswith(CHANNEL_PAYLOADS):
            return None
        if text.startswith("/"):
            text = pressed(text, offered or {})
        return {
            "who": "customer",
            "text": text,
            "timestamp": stamp,
            "intent": (event.get("parse_data") or {}).get("intent", {}).get("name"),
        }
    if kind == "bot":
        buttons = ((event.get("data") or {}).get("buttons")) or []
        return {
            "who": "bot",
            "text": event.get("text") or "",
            "timestamp": stamp,
            "buttons": [b.get("title") for b in buttons if isinstance(b, dict)],
        }
    if kind == "session_started":
        return {"who": "system", "text": "session started", "timestamp": stamp}
    return None


def from_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out: List[Dict[str, Any]] = []
    offered: Dict[str, str] = {}  # payload -> title of the buttons offered so far, latest wins
    for event in events:
        if event.get("event") == "bot":
            for button in (event.get("data") or {}).get("buttons") or []:
                if isinstance(button, dict) and button.get("payload") and button.get("title"):
                    offered[str(button["payload"])] = str(button["title"])
        item = entry(event, offered)
        if item is not None:
            out.append(item)
    return out


def stored_events(db_url: str, sender_id: str) -> List[Dict[str, Any]]:
    """Every event of the conversation in Rasa's `events` table; [] when unreadable."""
    try:
        engine = create_engine(db_url, future=True)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT data FROM events WHERE sender_id = :sid ORDER BY timestamp, id"), {"sid": sender_id}
            ).all()
        engine.dispose()
    except SQLAlchemyError:
        return []
    return [json.loads(row[0]) for row in rows]


def full_transcript(db_url: str, sender_id: str, current: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    stored = stored_events(db_url, sender_id)
    last = max((e.get("timestamp") or 0 for e in stored), default=0)
    newer = [e for e in current if (e.get("timestamp") or 0) > last]
    return from_events(stored + newer)
