"""Hand-off tickets in SQL (see ticket_store.py): the names the rest of the bot imports."""

from bot.handoff.store.case_fields import in_use_words, normalize_transcript
from bot.handoff.store.errors import HandoffError, TicketNotFound, TicketStateError
from bot.handoff.store.references import normalize_reference
from bot.handoff.store.statuses import ACTIVE, CLAIMED, OUTCOMES, STATUSES
from bot.handoff.store.ticket import Ticket
from bot.handoff.store.ticket_store import TicketStore
from bot.handoff.store.times import iso
from bot.settings import DEFAULT_DB_URL

__all__ = [
    "ACTIVE",
    "CLAIMED",
    "DEFAULT_DB_URL",
    "HandoffError",
    "OUTCOMES",
    "STATUSES",
    "Ticket",
    "TicketNotFound",
    "TicketStateError",
    "TicketStore",
    "in_use_words",
    "iso",
    "normalize_reference",
    "normalize_transcript",
]
