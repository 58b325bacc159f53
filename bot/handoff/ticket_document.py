"""A hand-off ticket as a JSON document: what every rendering (bot.handoff.render) starts from.

The document is described by docs/handoff-schema.json (``SCHEMA_VERSION`` below), with every free
text redacted (bot.handoff.redact). Identifiers (reference, conversation id, channel, customer
reference) and timestamps are kept as they are: the agent needs them to reach the customer.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from bot.handoff.redact import redact_data
from bot.handoff.store import Ticket, iso
from bot.handoff.ticket_wording import label

SCHEMA_VERSION = "1.1"

#: Keys whose values are identifiers or timestamps, never redacted.
KEEP = frozenset(
    {
        "schema_version",
        "reference",
        "status",
        "conversation_id",
        "channel",
        "customer_ref",
        "created_at",
        "updated_at",
        "claimed_at",
        "resolved_at",
        "cancelled_at",
        "handed_back_at",
        "timestamp",
        "at",
        "kind",
    }
)

RECOMMENDATION_LABELS = {
    "replace": "Replace the camera",
    "return": "Return the camera",
    "contact_support": "Contact Kasa support",
    "wait_for_outage": "Wait for the outage to end",
    "safety": "Safety stop",
    "human_support": "Human support",
}
WARRANTY_LABELS = {
    "in_return_period": "within the return period",
    "in_warranty": "under warranty",
    "out_of_warranty": "out of warranty",
    "unsure": "not sure",
    "not_sure": "not sure",
}


def for_assigned(ticket: Ticket, agent: Optional[str]) -> bool:
    """Whether a view is the assigned agent's: then the contact details the customer typed for them
    are shown (passwords never are)."""
    return ticket.assigned_to((agent or "").strip() or None)


def redaction_note(ticket: Ticket, agent: Optional[str]) -> str:
    """What the reader's view of the document leaves out, for the foot of a rendering."""
    if for_assigned(ticket, agent):
        return f"shown to {ticket.claimed_by}, who has the case: contact details as typed, passwords redacted"
    return "e-mail addresses, phone numbers and passwords are redacted"


def ticket_document(ticket: Ticket, redacted: bool = True, agent: Optional[str] = None) -> Dict[str, Any]:
    """The ticket as a JSON-able dict following docs/handoff-schema.json; ``agent``: who reads it
    (the assigned agent sees contact details)."""
    doc: Dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "reference": ticket.reference,
        "status": ticket.status,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
        "customer_ref": ticket.customer_ref,
        "reason": ticket.reason,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "claimed_at": iso(ticket.claimed_at),
        "claimed_by": ticket.claimed_by,
        "customer_name": ticket.customer_name,
        "resolved_at": iso(ticket.resolved_at),
        "resolution_note": ticket.resolution_note,
        "cancelled_at": iso(ticket.cancelled_at),
        "handed_back_at": iso(ticket.handed_back_at),
        "camera": {
            "model": ticket.camera_model,
            "in_use_for": ticket.in_use_for,
            "in_use_days": ticket.in_use_days,
        },
        "context": dict(ticket.context),
        "symptoms": list(ticket.symptoms),
        "questions": [_entry(q) for q in ticket.questions],
        "steps_tried": [_entry(s) for s in ticket.steps_tried],
        "skipped": list(ticket.skipped),
        "assessment": _assessment(ticket),
        "safety": list(ticket.safety),
        "warranty": {
            "status": ticket.warranty,
            "status_label": label(WARRANTY_LABELS, ticket.warranty),
            "hint": ticket.warranty_hint,
        },
        "customer_messages": [_message(m) for m in ticket.messages],
        "transcript": [_event(e) for e in ticket.transcript],
    }
    if not redacted:
        return doc
    return redact_data(doc, keep=KEEP, contacts=not for_assigned(ticket, agent))


def _assessment(ticket: Ticket) -> Dict[str, Any]:
    """What the diagnosis concluded: the outcome, the ranked causes and the recommendation."""
    names = ticket.cause_names()
    return {
        "outcome": (ticket.case.get("outcome") or {}).get("type")
        if isinstance(ticket.case.get("outcome"), dict)
        else None,
        "cause": ticket.cause,
        "cause_name": ticket.cause_name,
        "probability": ticket.probability,
        "ranking": [
            {"cause": r.get("cause"), "name": r.get("name"), "probability": r.get("probability")}
            for r in ticket.ranking
        ],
        "ruled_out": [
            {
                "cause": r.get("cause"),
                "name": r.get("name") or names.get(str(r.get("cause"))),
                "why": r.get("sentence"),
            }
            for r in ticket.ruled_out
            if isinstance(r, dict)
        ],
        "thresholds": [
            {
                "group": t.get("group"),
                "id": t.get("id"),
                "text": t.get("text"),
                "evidence": [str(e) for e in t.get("evidence") or ()],
            }
            for t in ticket.thresholds
        ],
        "route": ticket.route,
        "recommendation": ticket.recommendation,
        "recommendation_label": label(RECOMMENDATION_LABELS, ticket.recommendation),
        "recommendation_text": ticket.recommendation_text,
        "scenario": dict(ticket.scenario) if ticket.scenario else None,
        "notes": list(ticket.notes),
    }


def _message(m: Dict[str, Any]) -> Dict[str, Any]:
    out = {"who": m.get("who", "customer"), "text": m.get("text", ""), "at": m.get("at")}
    if m.get("agent"):
        out["agent"] = m["agent"]
    if m.get("kind") and m["kind"] != "text":
        out["kind"] = m["kind"]
    return out


def _entry(item: Dict[str, Any]) -> Dict[str, Any]:
    entry = {
        "ref": item.get("ref"),
        "asked": item.get("asked"),
        "answer": item.get("answer"),
        "source": item.get("source"),
    }
    for key in ("quote", "note"):
        if item.get(key):
            entry[key] = item[key]
    for key in ("volunteered", "before"):
        if item.get(key):
            entry[key] = True
    return entry


def _event(event: Dict[str, Any]) -> Dict[str, Any]:
    out = {
        "who": event.get("who", "system"),
        "text": event.get("text", ""),
        "buttons": [str(b) for b in event.get("buttons") or []],
        "timestamp": event.get("timestamp"),
    }
    if event.get("intent"):
        out["intent"] = event["intent"]
    return out


def summary_document(ticket: Ticket) -> Dict[str, Any]:
    """One line of the agent's queue (API GET /tickets, CLI list), redacted."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "reference": ticket.reference,
        "status": ticket.status,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "claimed_by": ticket.claimed_by,
        "channel": ticket.channel,
        "customer_ref": ticket.customer_ref,
        "customer_name": ticket.customer_name,
        "camera_model": ticket.camera_model,
        "in_use_for": ticket.in_use_for,
        "symptoms": list(ticket.symptoms),
        "recommendation": ticket.recommendation,
        "cause": ticket.cause,
        "cause_name": ticket.cause_name,
        "safety": bool(ticket.safety),
        "waiting_messages": len(ticket.messages),  # the hand-off's messages, both ways (name kept for 1.0 readers)
    }
    return redact_data(doc, keep=KEEP)
