"""What the conversation needs from the ticket system, over bot.handoff.store."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Protocol, Set, Union

if TYPE_CHECKING:
    from bot.handoff.summary import CaseSummary

from bot import settings

logger = logging.getLogger(__name__)


def db_url() -> str:
    """Tickets live beside Rasa's tracker store: same database unless HANDOFF_DB_URL says otherwise."""
    return settings.handoff_db_url()


class TicketDesk(Protocol):
    """What the conversation asks of the hand-off back end (Tickets below; tests pass their own)."""

    def open_ticket(
        self,
        conversation_id: str,
        channel: str,
        case: Union["CaseSummary", Dict[str, Any]],
        events: Iterable[Dict[str, Any]] = (),
        customer_name: Optional[str] = None,
    ) -> str: ...

    def status(self, reference: str) -> Optional[str]: ...

    def keep_message(
        self, reference: str, text: str, kind: Optional[str] = None, event_at: Optional[float] = None
    ) -> None: ...

    def kept_event_times(self, reference: str) -> Set[float]: ...

    def take_outbox(self, conversation_id: str) -> List[Dict[str, Any]]: ...

    def cancel(self, reference: str) -> None: ...

    def record_outcome(
        self, conversation_id: str, outcome: str, cause: Optional[str] = None, step: Optional[str] = None
    ) -> None: ...


class Tickets:
    def __init__(self, url: Optional[str] = None):
        from bot.handoff.store import TicketStore

        self.url = url or db_url()
        self.store = TicketStore(self.url)

    def open_ticket(
        self,
        conversation_id: str,
        channel: str,
        case: Union["CaseSummary", Dict[str, Any]],
        events: Iterable[Dict[str, Any]] = (),
        customer_name: Optional[str] = None,
    ) -> str:
        from bot.handoff.transcript import full_transcript

        transcript = full_transcript(self.url, conversation_id, events)
        data = case if isinstance(case, dict) else case.to_dict()
        ticket = self.store.create(
            conversation_id, channel, conversation_id, data, transcript, customer_name=customer_name
        )
        # the support group (bot.handoff.support_group), when configured, posts it from the outbox side
        return ticket.reference

    def status(self, reference: str) -> Optional[str]:
        ticket = self.store.get(reference)
        return ticket.status if ticket is not None else None

    def keep_message(
        self, reference: str, text: str, kind: Optional[str] = None, event_at: Optional[float] = None
    ) -> None:
        self.store.add_customer_message(reference, text, kind=kind, event_at=event_at)

    def kept_event_times(self, reference: str) -> Set[float]:
        return self.store.kept_event_times(reference)

    def take_outbox(self, conversation_id: str) -> List[Dict[str, Any]]:
        """What the customer must be told now (agent messages, claims, ...), taken once."""
        return self.store.take_outbox(conversation_id)

    def cancel(self, reference: str) -> None:
        self.store.cancel(reference)

    def record_outcome(
        self, conversation_id: str, outcome: str, cause: Optional[str] = None, step: Optional[str] = None
    ) -> None:
        self.store.record_outcome(conversation_id, outcome, cause=cause, step=step)


@lru_cache(maxsize=1)
def default_tickets() -> Tickets:
    return Tickets()
