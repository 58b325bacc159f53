"""Tickets in the support group: what was posted there, which ticket a message there is for, what the
group was not told yet, and the lease that lets one process at a time serve the group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.handoff.store.base import StoreBase
from bot.handoff.store.errors import TicketNotFound
from bot.handoff.store.records import message_record
from bot.handoff.store.rows import LeaseRow, MessageRow, SupportPostRow, TicketRow
from bot.handoff.store.statuses import ACTIVE
from bot.handoff.store.ticket import Ticket


def _newest(session: Session, mapped: Any, *conditions: Any) -> Any:
    """The newest row of ``mapped`` that meets ``conditions``."""
    return session.execute(select(mapped).where(*conditions).order_by(mapped.id.desc())).scalars().first()


class SupportGroupPosts(StoreBase):
    """What the support group was shown of each ticket, and what it still has to be shown."""

    def unposted(self, limit: int = 50) -> List[Ticket]:
        """Active tickets not posted to a support group yet, oldest first."""
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(TicketRow)
                    .where(TicketRow.status.in_(ACTIVE), TicketRow.support_message_id.is_(None))
                    .order_by(TicketRow.created_at, TicketRow.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [self._ticket(session, r) for r in rows]

    def set_support_post(
        self, reference: str, chat_id: Any, message_id: int, thread_id: Optional[int] = None, root: bool = False
    ) -> None:
        """Remember a message posted to the support group for the ticket (``root``: its summary)."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row is None:
                raise TicketNotFound(str(reference))
            if root:
                row.support_chat_id, row.support_thread_id, row.support_message_id = str(chat_id), thread_id, message_id
                row.support_status = row.status
            session.add(SupportPostRow(ticket_id=row.id, chat_id=str(chat_id), message_id=int(message_id)))

    def ticket_in_support(
        self, chat_id: Any, thread_id: Optional[int] = None, reply_to: Optional[int] = None
    ) -> Optional[Ticket]:
        """The ticket a support group message belongs to: by its forum topic, else by the message it
        replies to."""
        with Session(self.engine) as session, session.begin():
            row = None
            if thread_id is not None:
                row = _newest(
                    session,
                    TicketRow,
                    TicketRow.support_chat_id == str(chat_id),
                    TicketRow.support_thread_id == int(thread_id),
                )
            if row is None and reply_to is not None:
                post = _newest(
                    session,
                    SupportPostRow,
                    SupportPostRow.chat_id == str(chat_id),
                    SupportPostRow.message_id == int(reply_to),
                )
                row = session.get(TicketRow, post.ticket_id) if post is not None else None
            return self._ticket(session, row) if row is not None else None

    def unrelayed(self, chat_id: Any, limit: int = 200) -> List[tuple]:
        """(ticket, message) of messages not posted to the support group yet (customer messages, and
        agent messages written elsewhere), oldest first."""
        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(MessageRow, TicketRow)
                .join(TicketRow, MessageRow.ticket_id == TicketRow.id)
                .where(TicketRow.support_chat_id == str(chat_id), MessageRow.relayed_at.is_(None))
                .order_by(MessageRow.id)
                .limit(limit)
            ).all()
            tickets: Dict[int, Ticket] = {}
            out = []
            for message, row in rows:
                if row.id not in tickets:
                    tickets[row.id] = self._ticket(session, row)
                out.append((tickets[row.id], message_record(message)))
            return out

    def mark_relayed(self, message_ids: Iterable[int]) -> None:
        ids = list(message_ids)
        if not ids:
            return
        with Session(self.engine) as session, session.begin():
            now = self._now()
            for m in session.execute(select(MessageRow).where(MessageRow.id.in_(ids))).scalars():
                m.relayed_at = now

    def status_unannounced(self, chat_id: Any) -> List[Ticket]:
        """Tickets in the support group whose status changed since the group was last told."""
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(TicketRow).where(
                        TicketRow.support_chat_id == str(chat_id),
                        (TicketRow.support_status.is_(None)) | (TicketRow.support_status != TicketRow.status),
                    )
                )
                .scalars()
                .all()
            )
            return [self._ticket(session, r) for r in rows]

    def hold_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``holder`` until ``seconds`` from now; False while another
        holder's lease runs (several Rasa servers: one of them serves the support group)."""
        now = self._now()
        for _ in range(2):
            try:
                with Session(self.engine) as session, session.begin():
                    row = (
                        session.execute(select(LeaseRow).where(LeaseRow.name == name).with_for_update())
                        .scalars()
                        .first()
                    )
                    if row is None:
                        session.add(LeaseRow(name=name, holder=holder, until=now + timedelta(seconds=seconds)))
                        return True
                    if row.holder != holder and row.until > now:
                        return False
                    row.holder, row.until = holder, now + timedelta(seconds=seconds)
                    return True
            except IntegrityError:  # another process created it at the same moment: look again
                continue
        return False

    def set_support_status(self, reference: str, status: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row is not None:
                row.support_status = status
