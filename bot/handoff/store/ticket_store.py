"""Hand-off tickets in SQL: what a support agent receives when the bot passes a case on.

The tables (prefix ``handoff_``) live beside Rasa's tracker store tables, in the same database
by default (``sqlite:///var/tracker.db``, relative to the working directory like Rasa's
``db: var/tracker.db``); ``HANDOFF_DB_URL`` points them elsewhere, e.g.
``postgresql://user:password@host:5432/rasa``. They are created when missing.

Every method is one unit of work in its own session and transaction; a write is committed
before the method returns, so a ticket survives a crash of the process right after ``create``.

On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (writers queue on the busy timeout
instead of failing half-way) and the database runs in WAL mode, so readers (Rasa, the agent's
CLI) are not blocked. On PostgreSQL a partial unique index keeps one open ticket per
conversation, and rows are locked (``SELECT ... FOR UPDATE``) while their status changes.

Stored data is raw (what the customer typed); every rendering redacts it (bot.handoff.render).
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import settings
from bot.handoff.store.case_fields import in_use_words, json_safe, normalize_transcript, optional_text, ticket_details
from bot.handoff.store.database import create_tables, make_engine, resolve_url
from bot.handoff.store.errors import HandoffError, TicketNotFound
from bot.handoff.store.records import message_record, ticket_from_row
from bot.handoff.store.references import REFERENCE_ATTEMPTS, new_reference, normalize_reference
from bot.handoff.store.rows import (
    LeaseRow,
    MessageRow,
    OutboxRow,
    OutcomeRow,
    SupportPostRow,
    TicketRow,
)
from bot.handoff.store.statuses import (
    ACTIVE,
    AGENT_MESSAGE,
    CLAIMED,
    OPEN,
    OUTCOMES,
    STATUSES,
    UNCLAIMED_NOTICE,
)
from bot.handoff.store.ticket import Ticket
from bot.handoff.store.times import iso, utcnow
from bot.handoff.store.transitions import TRANSITIONS, already_done, check_agent, refuse_unless

logger = logging.getLogger(__name__)


class TicketStore:
    """Tickets, customer messages kept for the agent, and conversation outcomes.

    ``url``: SQLAlchemy URL; default ``$HANDOFF_DB_URL`` or ``sqlite:///var/tracker.db``.
    ``clock`` and ``reference_factory`` are for tests (fixed times, forced collisions).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        reference_factory: Callable[[], str] = new_reference,
        engine: Optional[Engine] = None,
    ):
        self.url = resolve_url(url)
        self.engine = engine or make_engine(self.url)
        self._clock = clock
        self._new_reference = reference_factory
        create_tables(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "TicketStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TicketStore({make_url(self.url).render_as_string(hide_password=True)!r})"

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)

    # -- tickets -------------------------------------------------------------------------
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
                        in_use_days=float(duration)
                        if isinstance(duration, (int, float)) and not isinstance(duration, bool)
                        else None,
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

    # -- messages both ways ----------------------------------------------------------------
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
            self._notify(session, row, AGENT_MESSAGE, now, agent=row.claimed_by, text=text)
            row.updated_at = now
            session.flush()
            return message_record(message)

    def _notify(
        self,
        session: Session,
        row: TicketRow,
        kind: str,
        now: datetime,
        agent: Optional[str] = None,
        text: Optional[str] = None,
    ) -> None:
        session.add(
            OutboxRow(
                ticket_id=row.id,
                conversation_id=row.conversation_id,
                channel=row.channel,
                kind=kind,
                agent=agent,
                text=text,
                created_at=now,
            )
        )

    # -- the outbox: what customers must be told --------------------------------------------
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
        return builtins.list(dict.fromkeys((r[0], r[1]) for r in rows))[:limit]

    def lease_outbox(self, conversation_id: str, seconds: Optional[float] = None) -> int:
        """Mark the conversation's undelivered messages as being delivered (until ``seconds`` from now,
        when another worker may try again); how many there are. The default, HANDOFF_OUTBOX_LEASE
        (20 s), is long enough for a slow turn and short enough after a failed one."""
        if seconds is None:
            seconds = settings.outbox_lease_s()
        now = self._now()
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.conversation_id == str(conversation_id), OutboxRow.delivered_at.is_(None))
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            for r in rows:
                r.lease_until = now + timedelta(seconds=seconds)
            return len(rows)

    def take_outbox(self, conversation_id: str) -> List[Dict[str, Any]]:
        """The conversation's undelivered outbox messages, oldest first, marked delivered in the same
        transaction: whoever takes them delivers them, and nobody else can."""
        now = self._now()
        with Session(self.engine) as session, session.begin():
            rows = (
                session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.conversation_id == str(conversation_id), OutboxRow.delivered_at.is_(None))
                    .order_by(OutboxRow.id)
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            out = []
            for r in rows:
                r.delivered_at = now
                ticket = session.get(TicketRow, r.ticket_id)
                out.append(
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "agent": r.agent,
                        "text": r.text,
                        "reference": ticket.reference if ticket is not None else None,
                        "at": iso(r.created_at),
                    }
                )
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
            return [
                {"id": r.id, "kind": r.kind, "agent": r.agent, "text": r.text, "delivered_at": iso(r.delivered_at)}
                for r in rows
            ]

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
                self._notify(session, row, UNCLAIMED_NOTICE, now)
                flagged.append(row.reference)
        return flagged

    # -- the support group -----------------------------------------------------------------
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
                row = (
                    session.execute(
                        select(TicketRow)
                        .where(TicketRow.support_chat_id == str(chat_id), TicketRow.support_thread_id == int(thread_id))
                        .order_by(TicketRow.id.desc())
                    )
                    .scalars()
                    .first()
                )
            if row is None and reply_to is not None:
                post = (
                    session.execute(
                        select(SupportPostRow)
                        .where(SupportPostRow.chat_id == str(chat_id), SupportPostRow.message_id == int(reply_to))
                        .order_by(SupportPostRow.id.desc())
                    )
                    .scalars()
                    .first()
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
        ids = builtins.list(message_ids)
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

    def messages(self, reference: str) -> List[Dict[str, Any]]:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference)
            if row is None:
                raise TicketNotFound(str(reference))
            return self._messages_by_ticket(session, [row.id]).get(row.id, [])

    # -- outcomes for the team report ------------------------------------------------------
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
            return [
                {
                    "conversation_id": r.conversation_id,
                    "outcome": r.outcome,
                    "cause": r.cause,
                    "step": r.step,
                    "at": r.recorded_at,
                }
                for r in rows
            ]

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
        events = []
        for conversation_id, reference, status, details, created_at in rows:
            details = details or {}
            named = details.get("outcome_type") in ("escalation", "fix")
            events.append(
                {
                    "conversation_id": conversation_id,
                    "reference": reference,
                    "status": status,
                    "cause": details.get("cause") if named else None,
                    "cause_names": {
                        r.get("cause"): r.get("name") for r in details.get("ranking") or [] if r.get("cause")
                    },
                    "at": created_at,
                }
            )
        return events

    # -- internals ---------------------------------------------------------------------------
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
            self._notify(session, row, transition.notice, now, agent=row.claimed_by, text=text)
        return True

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

    def _messages_by_ticket(self, session: Session, ids: Sequence[int]) -> Dict[int, builtins.list]:
        out: Dict[int, builtins.list] = {}
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

    def _ticket(self, session: Session, row: TicketRow, messages: Optional[builtins.list] = None) -> Ticket:
        if messages is None:
            messages = self._messages_by_ticket(session, [row.id]).get(row.id, [])
        return ticket_from_row(row, messages)
