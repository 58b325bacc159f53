"""The variables of the hand-off to a person: the agents' API, claim timeout, outbox and support polls."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import HANDOFF, Variable

VARIABLES: Tuple[Variable, ...] = (
    Variable("HANDOFF_AGENT", HANDOFF, str, None, "your name as an agent: the default of the CLI's --agent"),
    Variable("HANDOFF_API_TOKEN", HANDOFF, str, None, "bearer token of the agents' API (unset: no API)"),
    Variable(
        "HANDOFF_TICKETS_URL", HANDOFF, str, None, "where agents open tickets, linked from the support group's notice"
    ),
    Variable(
        "HANDOFF_CLAIM_TIMEOUT",
        HANDOFF,
        float,
        600.0,
        "seconds an open ticket waits for an agent before the customer is told (0: never)",
        minimum=0,
        on_invalid="default",
    ),
    Variable(
        "HANDOFF_OUTBOX_POLL",
        HANDOFF,
        float,
        0.25,
        "seconds between a channel's looks at the outbox (at least 0.05)",
        minimum=0,
        on_invalid="default",
    ),
    Variable(
        "HANDOFF_OUTBOX_LEASE",
        HANDOFF,
        float,
        20.0,
        "seconds a worker waits for the bot to deliver an outbox message before it asks again",
    ),
    Variable(
        "HANDOFF_SUPPORT_POLL",
        HANDOFF,
        float,
        1.0,
        "seconds between the support group's looks at the database (at least 0.1)",
    ),
)
