"""Hand-off tickets in SQL (see ticket_store.py): the names the rest of the bot imports."""

from bot.handoff.store.errors import HandoffError, TicketNotFound, TicketStateError
from bot.handoff.store.statuses import ACTIVE, CLAIMED, OUTCOMES, STATUSES
from bot.handoff.store.ticket_store import (
    REFERENCE_ALPHABET,
    Ticket,
    TicketStore,
    _guide_cause_names,
    in_use_words,
    iso,
    make_engine,
    normalize_reference,
    normalize_transcript,
    resolve_url,
)
from bot.settings import DEFAULT_DB_URL

__all__ = [
    "ACTIVE",
    "CLAIMED",
    "DEFAULT_DB_URL",
    "HandoffError",
    "OUTCOMES",
    "REFERENCE_ALPHABET",
    "STATUSES",
    "Ticket",
    "TicketNotFound",
    "TicketStateError",
    "TicketStore",
    "_guide_cause_names",
    "in_use_words",
    "iso",
    "make_engine",
    "normalize_reference",
    "normalize_transcript",
    "resolve_url",
]
