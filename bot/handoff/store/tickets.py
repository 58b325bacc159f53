"""Opening tickets, finding them, and moving them through their statuses."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.handoff.store.base import StoreBase
from bot.handoff.store.case_fields import (
    in_use_days,
    in_use_words,
    json_safe,
    normalize_transcript,
    optional_text,
    ticket_details,
)
from bot.handoff.store.errors import HandoffError, TicketNotFound
from bot.handoff.store.references import REFERENCE_ATTEMPTS, normalize_reference
from bot.handoff.store.rows import TicketRow
from bot.handoff.store.statuses import OPEN, STATUSES
from bot.handoff.store.ticket import Ticket

logger = logging.getLogger(__name__)


class TicketLifecycle(StoreBase):
    """Tickets opened, looked up, listed, claimed, resolved, handed back and cancelled."""

    def create(
        self,
        conversation_id: str,
        channel: Optional[str],
        customer_ref: Optional[str],
        case: Dict[str, Any],
        transcript: Optional[List[Dict[str, Any]]] = None,
        customer_name: Optional[str] = None,
    ) -> Ticket:
        """Open a ticket for the conversation, or return the one already open/claimed for it.

        Committed before it returns. References are random; a collision (or a concurrent create
        for the same conversation) is an IntegrityError, after which it looks again and retries.
        """
        if not conversation_id:
            raise ValueError("conversation_id is required")
        case = json_safe(case if isinstance(case, dict) else {})
        details = ticket_details(case)
        events = normalize_transcript(transcript)
        context = details["context"]
        duration = context.get("duration")
        last_error: Optional[Exception] = None
        for _ in range(REFERENCE_ATTEMPTS):
            try:
                with Session(self.engine) as session, session.begin():
                    existing = self._active_row(session, conversation_id)
                    if existing is not None:
                        return self._ticket(session, existing)
                    now = self._now()
                    row = TicketRow(
                        reference=normalize_reference(self._new_reference()),
                        conversation_id=str(conversation_id),
                        channel=optional_text(channel),
                        customer_ref=optional_text(customer_ref),
                        status=OPEN,
                        reason=optional_text(details["reason"]),
                        camera_model=optional_text(context.get("camera_model")),
                        in_use_for=in_use_words(duration),
                        in_use_days=in_use_days(duration),
                        recommendation=details["recommendation"],
                        cause=details["cause"],
                        details=details,
                        case_data=case,
                        transcript=events,
                        customer_name=optional_text(customer_name) or None,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(row)
                    session.flush()
                    ticket = self._ticket(session, row, messages=[])
                logger.info("hand-off ticket %s opened for conversation %s", ticket.reference, conversation_id)
                return ticket
            except IntegrityError as error:
                last_error = error
                continue
        raise HandoffError(f"could not allocate a unique ticket reference: {last_error}")

    def get(self, reference: str) -> Optional[Ticket]:
        """The ticket, or None when no ticket has that reference."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference)
            return self._ticket(session, row) if row is not None else None

    def open_for(self, conversation_id: str) -> Optional[Ticket]:
        """The conversation's open or claimed ticket, if any."""
        with Session(self.engine) as session, session.begin():
            row = self._active_row(session, conversation_id)
            return self._ticket(session, row) if row is not None else None

    def list(self, status: Optional[str] = None, limit: Optional[int] = None) -> List[Ticket]:
        """Tickets, oldest first (the agent's queue), optionally only those with ``status``."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        with Session(self.engine) as session, session.begin():
            query = select(TicketRow).order_by(TicketRow.created_at, TicketRow.id)
            if status is not None:
                query = query.where(TicketRow.status == status)
            if limit is not None:
                query = query.limit(limit)
            rows = session.execute(query).scalars().all()
            messages = self._messages_by_ticket(session, [r.id for r in rows])
            return [self._ticket(session, r, messages=messages.get(r.id, [])) for r in rows]

    def claim(self, reference: str, agent: str, agent_id: Optional[str] = None) -> Ticket:
        """``agent`` is the name the customer sees; ``agent_id`` who it is (default: the name)."""
        agent = (agent or "").strip()
        if not agent:
            raise ValueError("an agent name is required to claim a ticket")
        who = (agent_id or agent).strip()
        return self._transition(reference, "claim", agent_id=who, claimed_by=agent, claimed_by_id=who)

    def resolve(self, reference: str, note: Optional[str] = None, agent_id: Optional[str] = None) -> Ticket:
        columns = {"resolution_note": note} if note else {}
        return self._transition(reference, "resolve", agent_id=agent_id, text=note or None, **columns)

    def hand_back(self, reference: str, agent_id: Optional[str] = None) -> Ticket:
        """The agent hands the conversation back to the bot (it resumes where it stood)."""
        return self._transition(reference, "hand back", agent_id=agent_id)

    def cancel(self, reference: str) -> Ticket:
        """The customer no longer wants a person."""
        return self._transition(reference, "cancel")

    def _transition(
        self, reference: str, action: str, agent_id: Optional[str] = None, text: Optional[str] = None, **columns: Any
    ) -> Ticket:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row is None:
                raise TicketNotFound(str(reference))
            now = self._now()
            if self._change_status(session, row, action, now, agent_id, text, **columns):
                row.updated_at = now
                session.flush()
            return self._ticket(session, row)
