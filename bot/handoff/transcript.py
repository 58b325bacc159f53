"""The full transcript of a conversation, every session, from Rasa's SQL tracker store.

Rasa hands the action server only the latest session, so the hand-off reads the `events`
table itself (same database) and adds the events of the current turn not stored yet.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError


def entry(event: Dict[str, Any]) -> Dict[str, Any] | None:
    kind = event.get("event")
    stamp = event.get("timestamp")
    if kind == "user":
        return {
            "who": "customer",
            "text": event.get("text") or "",
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
    return [e for e in (entry(ev) for ev in events) if e is not None]


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
