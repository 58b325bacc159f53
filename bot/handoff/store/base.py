"""What every part of the store shares: the engine and the clock, finding and locking ticket rows,
shaping them into tickets, changing their status and telling the customer."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.handoff.store.records import message_record, ticket_from_row
from bot.handoff.store.references import normalize_reference
from bot.handoff.store.rows import MessageRow, OutboxRow, TicketRow
from bot.handoff.store.statuses import ACTIVE
from bot.handoff.store.ticket import Ticket
from bot.handoff.store.transitions import TRANSITIONS, already_done, check_agent, refuse_unless


def outbox_notice(
    row: TicketRow, kind: str, now: datetime, agent: Optional[str] = None, text: Optional[str] = None
) -> OutboxRow:
    """What the ticket's customer must be told (``kind``: one of OUTBOX_KINDS), for the outbox."""
    return OutboxRow(
        ticket_id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        kind=kind,
        agent=agent,
        text=text,
        created_at=now,
    )


class StoreBase:
    """One unit of work per method, in its own session and transaction (see ticket_store.py)."""

    url: str
    engine: Engine
    _clock: Callable[[], datetime]
    _new_reference: Callable[[], str]

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)

    @staticmethod
    def _row(session: Session, reference: str, lock: bool = False) -> Optional[TicketRow]:
        query = select(TicketRow).where(TicketRow.reference == normalize_reference(reference))
        if lock:
            query = query.with_for_update()
        return session.execute(query).scalars().first()

    @staticmethod
    def _active_row(session: Session, conversation_id: str) -> Optional[TicketRow]:
        query = (
            select(TicketRow)
            .where(TicketRow.conversation_id == str(conversation_id), TicketRow.status.in_(ACTIVE))
            .order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
            .with_for_update()
        )
        return session.execute(query).scalars().first()

    def _messages_by_ticket(self, session: Session, ids: Sequence[int]) -> Dict[int, list]:
        out: Dict[int, list] = {}
        if not ids:
            return out
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            rows = session.execute(
                select(MessageRow).where(MessageRow.ticket_id.in_(chunk)).order_by(MessageRow.at, MessageRow.id)
            ).scalars()
            for m in rows:
                out.setdefault(m.ticket_id, []).append(message_record(m))
        return out

    def _ticket(self, session: Session, row: TicketRow, messages: Optional[list] = None) -> Ticket:
        if messages is None:
            messages = self._messages_by_ticket(session, [row.id]).get(row.id, [])
        return ticket_from_row(row, messages)

    def _change_status(
        self,
        session: Session,
        row: TicketRow,
        action: str,
        now: datetime,
        agent_id: Optional[str] = None,
        text: Optional[str] = None,
        **columns: Any,
    ) -> bool:
        """Change the row's status as TRANSITIONS[action] says, and set ``columns``; False when it
        already stood there. The customer's notice, if any, names the agent who has the case."""
        transition = TRANSITIONS[action]
        if already_done(row, transition, agent_id):
            return False
        refuse_unless(row, action, transition.allowed_from)
        check_agent(row, agent_id, action)
        row.status = transition.to
        setattr(row, transition.stamp, now)
        for name, value in columns.items():
            setattr(row, name, value)
        if transition.notice is not None:
            session.add(outbox_notice(row, transition.notice, now, agent=row.claimed_by, text=text))
        return True
