"""The status changes a ticket allows, as one table, and the checks the store makes before one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from bot.handoff.store.errors import TicketStateError
from bot.handoff.store.rows import TicketRow
from bot.handoff.store.statuses import (
    ACTIVE,
    CANCELLED,
    CLAIMED,
    CLAIMED_NOTICE,
    HANDED_BACK,
    HANDED_BACK_NOTICE,
    OPEN,
    RESOLVED,
    RESOLVED_NOTICE,
)


@dataclass(frozen=True)
class Transition:
    allowed_from: Sequence[str]
    to: str
    stamp: str  # the row's column that records when it happened
    notice: Optional[str]  # what the outbox tells the customer (None: nothing)


#: Keyed by the words a refusal uses ("ticket K7QM4XPA is resolved: cannot hand back").
TRANSITIONS: Dict[str, Transition] = {
    "claim": Transition((OPEN,), CLAIMED, "claimed_at", CLAIMED_NOTICE),
    "resolve": Transition(ACTIVE, RESOLVED, "resolved_at", RESOLVED_NOTICE),
    "hand back": Transition(ACTIVE, HANDED_BACK, "handed_back_at", HANDED_BACK_NOTICE),
    "cancel": Transition(ACTIVE, CANCELLED, "cancelled_at", None),
}


def already_done(row: TicketRow, transition: Transition, agent_id: Optional[str]) -> bool:
    """Whether the ticket already stands where the change leads, so that asking again changes nothing."""
    if row.status != transition.to:
        return False
    # Claiming a claimed ticket again is a no-op only for the agent who has it; anyone else is refused.
    return transition.to != CLAIMED or (row.claimed_by_id or row.claimed_by) == agent_id


def refuse_unless(row: TicketRow, action: str, allowed: Sequence[str]) -> None:
    """TicketStateError unless the ticket's status is one of ``allowed``; a claimed ticket's refusal
    says who has it."""
    if row.status not in allowed:
        detail = f"claimed by {row.claimed_by}" if row.status == CLAIMED else ""
        raise TicketStateError(row.reference, row.status, action, detail)


def check_agent(row: TicketRow, agent_id: Optional[str], action: str) -> None:
    """Only the agent who claimed a ticket acts for it (when the caller says who it is)."""
    if agent_id and row.status == CLAIMED and agent_id not in (row.claimed_by_id, row.claimed_by):
        raise TicketStateError(row.reference, row.status, action, f"claimed by {row.claimed_by}")
