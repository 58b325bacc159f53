"""What the conversation needs from the ticket system, over bot.handoff.store."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Union

if TYPE_CHECKING:
    from bot.handoff.summary import CaseSummary

DEFAULT_DB_URL = "sqlite:///var/tracker.db"
logger = logging.getLogger(__name__)


def db_url() -> str:
    """Tickets live beside Rasa's tracker store: same database unless HANDOFF_DB_URL says otherwise."""
    return os.environ.get("HANDOFF_DB_URL", DEFAULT_DB_URL)


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
    ) -> str:
        from bot.handoff.transcript import full_transcript

        transcript = full_transcript(self.url, conversation_id, events)
        data = case if isinstance(case, dict) else case.to_dict()
        ticket = self.store.create(conversation_id, channel, conversation_id, data, transcript)
        if os.environ.get("TELEGRAM_SUPPORT_CHAT_ID"):
            self._notify(ticket)
        return ticket.reference

    @staticmethod
    def _notify(ticket: Any) -> None:
        """Optional notice to the support group; a failure never blocks the hand-off."""
        from bot.handoff.notify import notify_support

        try:
            notify_support(ticket)
        except Exception:
            logger.exception("could not notify the support group about %s", ticket.reference)

    def status(self, reference: str) -> Optional[str]:
        ticket = self.store.get(reference)
        return ticket.status if ticket is not None else None

    def keep_message(self, reference: str, text: str) -> None:
        self.store.add_customer_message(reference, text)

    def cancel(self, reference: str) -> None:
        self.store.cancel(reference)

    def record_outcome(
        self, conversation_id: str, outcome: str, cause: Optional[str] = None, step: Optional[str] = None
    ) -> None:
        self.store.record_outcome(conversation_id, outcome, cause=cause, step=step)


@lru_cache(maxsize=1)
def default_tickets() -> Tickets:
    return Tickets()
