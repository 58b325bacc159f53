"""From rows to what the rest of the bot reads: tickets, their messages, cause names."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional

from bot.handoff.store.rows import MessageRow, OutboxRow, OutcomeRow, TicketRow
from bot.handoff.store.ticket import HUMAN, Ticket
from bot.handoff.store.times import iso

logger = logging.getLogger(__name__)


def ticket_from_row(row: TicketRow, messages: List[Dict[str, Any]]) -> Ticket:
    """The ticket of a row, with its messages (both ways) in order."""
    d = dict(row.details or {})
    return Ticket(
        reference=row.reference,
        conversation_id=row.conversation_id,
        channel=row.channel,
        customer_ref=row.customer_ref,
        status=row.status,
        reason=row.reason,
        camera_model=row.camera_model,
        in_use_for=row.in_use_for,
        in_use_days=row.in_use_days,
        context=d.get("context") or {},
        symptoms=d.get("symptoms") or [],
        questions=d.get("questions") or [],
        steps_tried=d.get("steps_tried") or [],
        skipped=d.get("skipped") or [],
        ranking=d.get("ranking") or [],
        cause=d.get("cause"),
        cause_name=d.get("cause_name"),
        probability=d.get("probability"),
        ruled_out=d.get("ruled_out") or [],
        thresholds=d.get("thresholds") or [],
        recommendation=d.get("recommendation") or row.recommendation or HUMAN,
        recommendation_text=d.get("recommendation_text"),
        route=d.get("route"),
        scenario=d.get("scenario"),
        notes=d.get("notes") or [],
        safety=d.get("safety") or [],
        warranty_hint=d.get("warranty_hint"),
        warranty=d.get("warranty"),
        case=row.case_data or {},
        transcript=row.transcript or [],
        created_at=row.created_at,
        updated_at=row.updated_at,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        resolved_at=row.resolved_at,
        resolution_note=row.resolution_note,
        cancelled_at=row.cancelled_at,
        handed_back_at=row.handed_back_at,
        messages=list(messages),
        cause_labels=d.get("cause_names") or {},
        customer_name=row.customer_name,
        claimed_by_id=row.claimed_by_id,
        support_chat_id=row.support_chat_id,
        support_thread_id=row.support_thread_id,
        support_message_id=row.support_message_id,
        support_status=row.support_status,
        unclaimed_notice_at=row.unclaimed_notice_at,
    )


def message_record(row: MessageRow) -> Dict[str, Any]:
    out: Dict[str, Any] = {"id": row.id, "who": row.who, "text": row.text, "at": iso(row.at)}
    for key in ("agent", "kind", "file_id"):
        if getattr(row, key, None):
            out[key] = getattr(row, key)
    return out


def outbox_delivery(row: OutboxRow, reference: Optional[str]) -> Dict[str, Any]:
    """An outbox message as the one who delivers it reads it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "agent": row.agent,
        "text": row.text,
        "reference": reference,
        "at": iso(row.created_at),
    }


def outbox_entry(row: OutboxRow) -> Dict[str, Any]:
    """An outbox message for tests and audits: what it said, and when it was delivered."""
    return {"id": row.id, "kind": row.kind, "agent": row.agent, "text": row.text, "delivered_at": iso(row.delivered_at)}


def outcome_record(row: OutcomeRow) -> Dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "outcome": row.outcome,
        "cause": row.cause,
        "step": row.step,
        "at": row.recorded_at,
    }


def ticket_event(
    conversation_id: str, reference: str, status: str, details: Optional[Dict[str, Any]], created_at: datetime
) -> Dict[str, Any]:
    """A ticket's creation for the report; its cause only where a diagnosis outcome named one."""
    details = details or {}
    named = details.get("outcome_type") in ("escalation", "fix")
    return {
        "conversation_id": conversation_id,
        "reference": reference,
        "status": status,
        "cause": details.get("cause") if named else None,
        "cause_names": {r.get("cause"): r.get("name") for r in details.get("ranking") or [] if r.get("cause")},
        "at": created_at,
    }


def guide_cause_names() -> Dict[str, str]:
    """Cause names from the field guide's knowledge base (cached by its loader); {} if unavailable."""
    try:
        from bot.knowledge.loader import load_knowledge

        return {c.id: c.name for c in load_knowledge().causes}
    except Exception:  # the report then shows the cause ids
        logger.debug("knowledge base unavailable for cause names", exc_info=True)
        return {}
