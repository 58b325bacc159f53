"""The hand-off tables, mapped to classes with SQLAlchemy 1.4's registry; every table's name starts ``handoff_``.

They have a MetaData of their own, so creating them never touches Rasa's tables in the same database.
"""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry

from bot.handoff.store.statuses import OPEN

# --------------------------------------------------------------------------------------------
# Column types that behave the same on SQLite and PostgreSQL
# --------------------------------------------------------------------------------------------

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes in and out (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


mapper_registry = registry()
metadata = mapper_registry.metadata  # our own MetaData: Rasa's tables are never touched


@mapper_registry.mapped
class TicketRow:
    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    customer_ref = Column(String(255), nullable=True)
    status = Column(String(16), nullable=False, default=OPEN, index=True)
    reason = Column(Text, nullable=True)
    camera_model = Column(String(64), nullable=True)
    in_use_for = Column(String(64), nullable=True)
    in_use_days = Column(Float, nullable=True)
    recommendation = Column(String(32), nullable=True)
    cause = Column(String(64), nullable=True)
    details = Column(JSONType, nullable=False)  # the case in the ticket's own shape (see case_fields.ticket_details)
    case_data = Column("case_data", JSONType, nullable=False)  # the case exactly as the bot built it
    transcript = Column(JSONType, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    claimed_at = Column(UTCDateTime, nullable=True)
    claimed_by = Column(String(128), nullable=True)
    resolved_at = Column(UTCDateTime, nullable=True)
    resolution_note = Column(Text, nullable=True)
    cancelled_at = Column(UTCDateTime, nullable=True)
    handed_back_at = Column(UTCDateTime, nullable=True)
    # live hand-off (columns added to older databases by database.add_missing_columns)
    customer_name = Column(String(255), nullable=True)  # as the channel gives it (Telegram's first/last name)
    claimed_by_id = Column(String(128), nullable=True)  # who may talk for the ticket: "tg:<user id>" or the name
    support_chat_id = Column(String(64), nullable=True)  # the support group the ticket was posted to
    support_thread_id = Column(Integer, nullable=True)  # its forum topic there (None: a reply thread)
    support_message_id = Column(Integer, nullable=True)  # the summary message there (root of a reply thread)
    support_status = Column(String(16), nullable=True)  # the last status the support group was told
    unclaimed_notice_at = Column(UTCDateTime, nullable=True)  # when the customer was told no one claimed it yet

    __table_args__ = (
        # An escalation creates exactly one ticket: at most one open/claimed ticket per conversation.
        Index(
            "handoff_tickets_one_active_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed')"),
            postgresql_where=text("status IN ('open', 'claimed')"),
        ),
    )


@mapper_registry.mapped
class MessageRow:
    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    who = Column(String(16), nullable=False, default="customer")
    text = Column(Text, nullable=False)
    at = Column(UTCDateTime, nullable=False)
    agent = Column(String(128), nullable=True)  # the agent's name, for who == "agent"
    kind = Column(String(16), nullable=True)  # text (None too) | photo | contact
    file_id = Column(String(255), nullable=True)  # a Telegram photo, sent on by file id
    event_at = Column(Float, nullable=True)  # the Rasa event's timestamp: a message is kept once
    relayed_at = Column(UTCDateTime, nullable=True)  # posted to the support group


@mapper_registry.mapped
class OutboxRow:
    """What the customer must be told (an agent's message, a claim, a hand-back, ...): stored
    first, delivered after, so that a restart of any process loses nothing."""

    __tablename__ = "handoff_outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    kind = Column(String(16), nullable=False)  # see OUTBOX_KINDS
    agent = Column(String(128), nullable=True)
    text = Column(Text, nullable=True)
    file_id = Column(String(255), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    lease_until = Column(UTCDateTime, nullable=True)  # a worker asked the bot to deliver it; retry after
    delivered_at = Column(UTCDateTime, nullable=True, index=True)


@mapper_registry.mapped
class LeaseRow:
    """Work that one process at a time may do (serving a support group), held until ``until``."""

    __tablename__ = "handoff_leases"

    name = Column(String(128), primary_key=True)
    holder = Column(String(128), nullable=False)
    until = Column(UTCDateTime, nullable=False)


@mapper_registry.mapped
class SupportPostRow:
    """A message the bot posted to the support group for a ticket: an agent's reply to it is
    for that ticket (groups without topics)."""

    __tablename__ = "handoff_support_posts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False)
    chat_id = Column(String(64), nullable=False)
    message_id = Column(Integer, nullable=False)

    __table_args__ = (Index("handoff_support_posts_message", "chat_id", "message_id"),)


@mapper_registry.mapped
class OutcomeRow:
    __tablename__ = "handoff_outcomes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    outcome = Column(String(16), nullable=False)
    cause = Column(String(64), nullable=True)
    step = Column(String(128), nullable=True)
    recorded_at = Column(UTCDateTime, nullable=False)
