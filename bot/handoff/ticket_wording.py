"""The wording every rendering of a ticket shares: labels, times, the overview rows, answer notes.

It reads the document of :mod:`bot.handoff.ticket_document`, never the stored ticket, so every
text it words is redacted already; escaping is left to each format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

STATUS_LABELS = {
    "open": "Open",
    "claimed": "Claimed",
    "resolved": "Resolved",
    "cancelled": "Cancelled by the customer",
    "handed_back": "Handed back to the bot",
}
WHO_LABELS = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}
SOURCE_NOTES = {
    "observed": "what the step showed",
    "assumed": "assumed from the symptom, not asked: not evidence",
}
THRESHOLD_GROUPS = {
    "replacement_required": "Camera replacement required",
    "no_repair_possible": "No repair possible",
    "return_recommended": "Return recommended",
    "step_decisions": "The guide's step decision",
    "scenario_decisions": "The guide's fix scenario",
}
CHANNEL_LABELS = {"socketio": "web chat", "telegram": "Telegram", "rest": "REST API", "cmdline": "terminal"}


def label(mapping: Dict[str, str], value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return mapping.get(value, str(value).replace("_", " "))


def who_label(who: Any) -> str:
    """Who wrote a transcript line, as the agent reads it."""
    return WHO_LABELS.get(who, str(who).capitalize())


def _when(stamp: Optional[str]) -> str:
    """'2026-11-24T10:44:04Z' -> '2026-11-24 10:44 UTC'."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def clock(stamp: Optional[str]) -> str:
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        return stamp


def percent(probability: Any) -> str:
    if not isinstance(probability, (int, float)):
        return "?"
    value = probability * 100
    if value and value < 1:
        return "<1%"
    return f"{value:.0f}%"


def _status_line(doc: Dict[str, Any]) -> str:
    status = doc["status"]
    line = STATUS_LABELS.get(status, status)
    if status == "claimed" and doc.get("claimed_by"):
        line += f" by {doc['claimed_by']} since {_when(doc['claimed_at'])}"
    elif status == "resolved":
        line += f" {_when(doc['resolved_at'])}"
        if doc.get("claimed_by"):
            line += f" by {doc['claimed_by']}"
    elif status == "cancelled":
        line += f" {_when(doc['cancelled_at'])}"
    elif status == "handed_back":
        line += f" {_when(doc['handed_back_at'])}"
        if doc.get("claimed_by"):
            line += f" by {doc['claimed_by']}"
    return line


def _customer(doc: Dict[str, Any]) -> str:
    name, ref = doc.get("customer_name"), doc.get("customer_ref") or "unknown"
    return f"{name} ({ref})" if name else ref


def camera_line(doc: Dict[str, Any]) -> str:
    camera = doc["camera"]
    model = camera.get("model") or "model not given"
    if camera.get("in_use_for"):
        # the customer's words do not say whether this is the camera's age or how long the problem lasts
        return f"{model}, customer mentioned {camera['in_use_for']}"
    return f"{model}, no time mentioned"


def _other_context(doc: Dict[str, Any]) -> List[tuple]:
    return [
        (k.replace("_", " ").capitalize(), v)
        for k, v in doc["context"].items()
        if k not in ("camera_model", "duration")
    ]


def overview(doc: Dict[str, Any]) -> List[tuple]:
    """The ticket's head rows (label, value, emphasised), the same in every rendering."""
    rows = [
        ("Status", _status_line(doc), False),
        ("Opened", _when(doc["created_at"]), False),
        ("Channel", CHANNEL_LABELS.get(doc["channel"] or "", doc["channel"] or "unknown"), False),
        ("Customer", _customer(doc), False),
        ("Conversation", doc["conversation_id"], False),
        ("Camera", camera_line(doc), False),
    ]
    rows += [(key, value, False) for key, value in _other_context(doc)]
    rows += [
        ("Recommendation", doc["assessment"]["recommendation_label"], True),
        ("Why handed over", doc["reason"] or "not given", False),
    ]
    if doc.get("resolution_note"):
        rows.append(("Resolution note", doc["resolution_note"], False))
    return rows


def warranty_lines(doc: Dict[str, Any]) -> List[tuple]:
    """(label, text) of what is known about the warranty, the same in every rendering."""
    warranty = doc["warranty"]
    lines = []
    if warranty.get("status"):
        lines.append(("Customer says", warranty["status_label"]))
    if warranty.get("hint"):
        lines.append(("Hint", warranty["hint"]))
    return lines


def threshold_group(threshold: Dict[str, Any]) -> Optional[str]:
    """Which of the guide's kinds of escalation threshold it is."""
    return label(THRESHOLD_GROUPS, threshold["group"])


def threshold_met(threshold: Dict[str, Any]) -> str:
    """A threshold with what met it."""
    evidence = "; ".join(threshold.get("evidence") or ())
    return f"{threshold['text']} ({evidence})" if evidence else str(threshold["text"])


def speaker(message: Dict[str, Any]) -> str:
    if message.get("who") == "agent":
        return f"{message.get('agent') or 'Agent'} (agent)"
    return "Customer"


def said(message: Dict[str, Any]) -> str:
    kind = message.get("kind")
    if kind == "photo":
        return "[photo] " + (message.get("text") or "")
    if kind == "contact":
        return "[contact for a follow-up] " + (message.get("text") or "")
    return message.get("text") or ""


def answer_note(entry: Dict[str, Any]) -> str:
    notes = []
    if entry.get("source") in SOURCE_NOTES:
        notes.append(SOURCE_NOTES[entry["source"]])
    if entry.get("before"):
        notes.append("done before the conversation")
    if entry.get("volunteered"):
        notes.append("volunteered by the customer")
    if entry.get("quote") and entry["quote"] != entry.get("answer"):
        notes.append(f'customer\'s words: "{entry["quote"]}"')
    if entry.get("note"):
        notes.append(entry["note"])
    return "; ".join(notes)
