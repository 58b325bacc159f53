"""Ticket references: short, random, and easy to read out on the phone."""

from __future__ import annotations

import secrets
from typing import Any

#: Reference alphabet: no 0/O, 1/I/L, so a customer can read it out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
#: How many random references a create tries before it gives up (each collision is retried).
REFERENCE_ATTEMPTS = 20


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalize_reference(reference: Any) -> str:
    """What the customer quotes, as stored: case and separators ("k7qm-4xpa ") do not matter."""
    return "".join(ch for ch in str(reference or "").upper() if ch.isalnum())
