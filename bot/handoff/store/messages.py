"""Messages both ways on a ticket: the customer's, kept for the agent, and the agent's, put in the outbox."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.store.base import StoreBase, outbox_notice
from bot.handoff.store.errors import TicketNotFound
from bot.handoff.store.records import message_record
from bot.handoff.store.rows import MessageRow
from bot.handoff.store.statuses import ACTIVE, AGENT_MESSAGE, CLAIMED, OPEN
from bot.handoff.store.transitions import check_agent, refuse_unless


class TicketMessages(StoreBase):
    """A ticket's messages, both ways."""

    def add_customer_message(
        self,
        reference: str,
        text: str,
        *,
        kind: Optional[str] = None,
        file_id: Optional[str] = None,
        event_at: Optional[float] = None,
    ) -> Dict[str, Any]:
        """A message for the agent. With ``event_at`` (the Rasa event's time) it is kept once, however
        often it is offered (a turn retried after the action server came back)."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row is None:
                raise TicketNotFound(str(reference))
            refuse_unless(row, "keep a message", ACTIVE)
            if event_at is not None:
                known = (
                    session.execute(
                        select(MessageRow).where(MessageRow.ticket_id == row.id, MessageRow.event_at == float(event_at))
                    )
                    .scalars()
                    .first()
                )
                if known is not None:
                    return message_record(known)
            now = self._now()
            message = MessageRow(
                ticket_id=row.id,
                who="customer",
                text=str(text or ""),
                at=now,
                kind=kind,
                file_id=file_id,
                event_at=float(event_at) if event_at is not None else None,
            )
            session.add(message)
            row.updated_at = now
            session.flush()
            return message_record(message)

    def add_agent_message(
        self, reference: str, agent: str, text: str, agent_id: Optional[str] = None, relayed: bool = False
    ) -> Dict[str, Any]:
        """An agent's message to the customer: kept on the ticket and put in the outbox.

        An open ticket is claimed by the agent who writes first; a ticket claimed by someone else, or
        no longer active, refuses (TicketStateError). ``relayed``: it was written in the support
        group, so it is not posted there again."""
        agent = (agent or "").strip()
        text = (text or "").strip()
        if not agent:
            raise ValueError("an agent name is required to write to the customer")
        if not text:
            raise ValueError("the message is empty")
        who = (agent_id or agent).strip()
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row is None:
                raise TicketNotFound(str(reference))
            now = self._now()
            if row.status == OPEN:  # the agent who writes first claims it
                self._change_status(session, row, "claim", now, agent_id=who, claimed_by=agent, claimed_by_id=who)
            refuse_unless(row, "write to the customer", (CLAIMED,))
            check_agent(row, who, "write to the customer")
            message = MessageRow(
                ticket_id=row.id,
                who="agent",
                text=text,
                at=now,
                agent=row.claimed_by,
                relayed_at=now if relayed else None,
            )
            session.add(message)
            session.add(outbox_notice(row, AGENT_MESSAGE, now, agent=row.claimed_by, text=text))
            row.updated_at = now
            session.flush()
            return message_record(message)

    def messages(self, reference: str) -> List[Dict[str, Any]]:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference)
            if row is None:
                raise TicketNotFound(str(reference))
            return self._messages_by_ticket(session, [row.id]).get(row.id, [])

    def kept_event_times(self, reference: str) -> set:
        """The Rasa event times of the customer messages kept for the ticket."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference)
            if row is None:
                raise TicketNotFound(str(reference))
            times = session.execute(
                select(MessageRow.event_at).where(MessageRow.ticket_id == row.id, MessageRow.event_at.isnot(None))
            ).scalars()
            return set(times)
