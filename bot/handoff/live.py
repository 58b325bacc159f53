"""Settings and words of the live hand-off shared by the bot, the channels and the agents' tools.

Environment:

* ``HANDOFF_CLAIM_TIMEOUT``: seconds an open ticket may wait for an agent before the customer is
  told and offered to leave a contact (default 600; ``0`` turns the notice off).
* ``HANDOFF_OUTBOX_POLL``: seconds between two looks at the outbox by a channel's worker (default 0.25).
"""

from __future__ import annotations

from bot import settings

CLAIM_TIMEOUT_ENV = "HANDOFF_CLAIM_TIMEOUT"
OUTBOX_POLL_ENV = "HANDOFF_OUTBOX_POLL"
#: What a channel's worker sends the bot when the outbox has news for a conversation.
HANDOFF_EVENT_TEXT = "/handoff_event"


def claim_timeout() -> float:
    return settings.claim_timeout_s()


def outbox_poll() -> float:
    return settings.outbox_poll_s()


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def handoff_queued_text(reference: str) -> str:
    """What the customer is told when the case is queued for a person, and what to expect."""
    text = (
        f"I'm passing your case to our support team (reference {reference}). The agent sees everything we did, "
        "so you won't have to repeat it. I'll tell you here when someone takes your case, and you'll see their "
        "name on their messages."
    )
    timeout = claim_timeout()
    if timeout:
        text += f" If nobody is free within {_minutes(timeout)}, I'll let you know."
    return text + " Until then, what you write here goes to them."


__all__ = ["HANDOFF_EVENT_TEXT", "claim_timeout", "handoff_queued_text", "outbox_poll"]
