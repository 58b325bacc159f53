"""The errors the hand-off store raises on purpose."""

from __future__ import annotations


class HandoffError(Exception):
    """Base class of the errors the store raises on purpose."""


class TicketNotFound(HandoffError, LookupError):
    def __init__(self, reference: str):
        super().__init__(f"no ticket with reference {reference!r}")
        self.reference = reference


class TicketStateError(HandoffError):
    """The ticket's status does not allow the operation (e.g. resolving a cancelled ticket)."""

    def __init__(self, reference: str, status: str, action: str, detail: str = ""):
        message = f"ticket {reference} is {status.replace('_', ' ')}: cannot {action}"
        super().__init__(message + (f" ({detail})" if detail else ""))
        self.reference, self.status, self.action = reference, status, action
