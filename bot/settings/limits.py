"""The variables that bound what one message or request may carry."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import LIMITS, Variable

VARIABLES: Tuple[Variable, ...] = (
    Variable(
        "KASA_MAX_MESSAGE_CHARS",
        LIMITS,
        int,
        4000,
        "characters of one customer message; a longer one is answered without being read",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_MAX_BODY_BYTES", LIMITS, int, 64 * 1024, "bytes of one REST request body", minimum=1, on_invalid="default"
    ),
    Variable(
        "KASA_MAX_METADATA_BYTES",
        LIMITS,
        int,
        8 * 1024,
        "bytes of the JSON of a message's metadata",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_MAX_REQUEST_BYTES",
        LIMITS,
        int,
        1048576,
        "bytes of any request to the Rasa server (Sanic's REQUEST_MAX_SIZE)",
        read_by="scripts",
    ),
)
