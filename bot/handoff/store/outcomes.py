"""Outcomes for the team report: how each diagnosis ended, and when tickets were opened."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.store.base import StoreBase
from bot.handoff.store.case_fields import optional_text
from bot.handoff.store.records import outcome_record, ticket_event
from bot.handoff.store.rows import OutcomeRow, TicketRow
from bot.handoff.store.statuses import OUTCOMES


class OutcomeLog(StoreBase):
    """Diagnosis outcomes recorded, and read back with the tickets' creations for the report."""

    def record_outcome(
        self, conversation_id: str, outcome: str, cause: Optional[str] = None, step: Optional[str] = None
    ) -> None:
        """One diagnosis ended: "resolved" (a confirmed fix), "escalated" or "abandoned" (at ``step``)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
        with Session(self.engine) as session, session.begin():
            session.add(
                OutcomeRow(
                    conversation_id=str(conversation_id or "unknown"),
                    outcome=outcome,
                    cause=optional_text(cause),
                    step=optional_text(step),
                    recorded_at=self._now(),
                )
            )

    def outcomes(self) -> List[Dict[str, Any]]:
        """Every recorded outcome, oldest first: {conversation_id, outcome, cause, step, at}."""
        with Session(self.engine) as session, session.begin():
            rows = session.execute(select(OutcomeRow).order_by(OutcomeRow.recorded_at, OutcomeRow.id)).scalars().all()
            return [outcome_record(r) for r in rows]

    def ticket_events(self) -> List[Dict[str, Any]]:
        """Every ticket's creation, oldest first, for the report:
        {conversation_id, reference, status, cause (named by a diagnosis outcome, else None), cause_names, at}."""
        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(
                    TicketRow.conversation_id,
                    TicketRow.reference,
                    TicketRow.status,
                    TicketRow.details,
                    TicketRow.created_at,
                ).order_by(TicketRow.created_at, TicketRow.id)
            ).all()
        return [ticket_event(*columns) for columns in rows]
