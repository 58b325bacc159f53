"""What a ticket and a diagnosis can be: a ticket's statuses, the notices the outbox carries to the
customer, and the outcomes the team report counts."""

from __future__ import annotations

OPEN, CLAIMED, RESOLVED, CANCELLED, HANDED_BACK = "open", "claimed", "resolved", "cancelled", "handed_back"
STATUSES = (OPEN, CLAIMED, RESOLVED, CANCELLED, HANDED_BACK)
ACTIVE = (OPEN, CLAIMED)
OUTCOMES = ("resolved", "escalated", "abandoned")
#: What the outbox tells a customer: the case was claimed, an agent's message, the case handed back to
#: the bot or resolved, no agent claimed it in time.
CLAIMED_NOTICE, AGENT_MESSAGE, HANDED_BACK_NOTICE, RESOLVED_NOTICE, UNCLAIMED_NOTICE = (
    "claimed",
    "message",
    "handed_back",
    "resolved",
    "unclaimed",
)
OUTBOX_KINDS = (CLAIMED_NOTICE, AGENT_MESSAGE, HANDED_BACK_NOTICE, RESOLVED_NOTICE, UNCLAIMED_NOTICE)
