"""The outbox: what customers must be told (a claim, an agent's message, a hand-back, ...), stored
first and delivered after, so that a restart of any process loses nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot import settings
from bot.handoff.store.base import StoreBase, outbox_notice
from bot.handoff.store.records import outbox_delivery, outbox_entry
from bot.handoff.store.rows import OutboxRow, TicketRow
from bot.handoff.store.statuses import OPEN, UNCLAIMED_NOTICE


def _undelivered(conversation_id: str) -> Select:
    """The conversation's outbox rows not delivered yet, locked: two workers never lease or take the same."""
    return (
        select(OutboxRow)
        .where(OutboxRow.conversation_id == str(conversation_id), OutboxRow.delivered_at.is_(None))
        .with_for_update()
    )


class CustomerOutbox(StoreBase):
    """What customers must be told, leased to a worker and taken by the one who delivers it."""

    def outbox_due_routes(self, channels: Optional[Sequence[str]] = None, limit: int = 100) -> List[tuple]:
        """(channel, conversation) with outbox messages no worker is delivering right now, oldest first."""
        now = self._now()
        with Session(self.engine) as session, session.begin():
            query = select(OutboxRow.channel, OutboxRow.conversation_id).where(
                OutboxRow.delivered_at.is_(None), (OutboxRow.lease_until.is_(None)) | (OutboxRow.lease_until < now)
            )
            if channels is not None:
                query = query.where(OutboxRow.channel.in_(list(channels)))
            rows = session.execute(query.order_by(OutboxRow.id).limit(limit * 10)).all()
        return list(dict.fromkeys((r[0], r[1]) for r in rows))[:limit]

    def lease_outbox(self, conversation_id: str, seconds: Optional[float] = None) -> int:
        """Mark the conversation's undelivered messages as being delivered (until ``seconds`` from now,
        when another worker may try again); how many there are. The default, HANDOFF_OUTBOX_LEASE
        (20 s), is long enough for a slow turn and short enough after a failed one."""
        if seconds is None:
            seconds = settings.outbox_lease_s()
        now = self._now()
        with Session(self.engine) as session, session.begin():
            rows = session.execute(_undelivered(conversation_id)).scalars().all()
            for r in rows:
                r.lease_until = now + timedelta(seconds=seconds)
            return len(rows)

    def take_outbox(self, conversation_id: str) -> List[Dict[str, Any]]:
        """The conversation's undelivered outbox messages, oldest first, marked delivered in the same
        transaction: whoever takes them delivers them, and nobody else can."""
        now = self._now()
        with Session(self.engine) as session, session.begin():
            rows = session.execute(_undelivered(conversation_id).order_by(OutboxRow.id)).scalars().all()
            out = []
            for r in rows:
                r.delivered_at = now
                ticket = session.get(TicketRow, r.ticket_id)
                out.append(outbox_delivery(r, ticket.reference if ticket is not None else None))
            return out

    def outbox(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every outbox message of a conversation (delivered or not), oldest first: for tests and audits."""
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(OutboxRow).where(OutboxRow.conversation_id == str(conversation_id)).order_by(OutboxRow.id)
                )
                .scalars()
                .all()
            )
            return [outbox_entry(r) for r in rows]

    def flag_unclaimed(self, after_seconds: float) -> List[str]:
        """Open tickets nobody claimed within ``after_seconds``: tell their customers once. The references."""
        now = self._now()
        flagged = []
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(TicketRow)
                    .where(
                        TicketRow.status == OPEN,
                        TicketRow.unclaimed_notice_at.is_(None),
                        TicketRow.created_at <= now - timedelta(seconds=after_seconds),
                    )
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.unclaimed_notice_at = now
                session.add(outbox_notice(row, UNCLAIMED_NOTICE, now))
                flagged.append(row.reference)
        return flagged
