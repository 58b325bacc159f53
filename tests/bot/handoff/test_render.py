"""Renderings of a ticket: golden files, redaction in every format, unknown formats."""

from __future__ import annotations

import json

import pytest

from bot.handoff.render import render, summary_text
from bot.handoff.ticket_document import summary_document
from tests.bot.handoff.conftest import GOLDEN

FORMATS = ("md", "html", "json")
SECRETS = ["jane.doe@example.com", "010-4477", "hunter2", "Secret123", "900123", "Tr0ub4dor"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["escalation", "safety"])
def test_golden(golden_tickets, name, fmt, update_golden):
    path = GOLDEN / f"{name}.{fmt}"
    text = render(golden_tickets[name], fmt)
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run pytest tests/bot/handoff --update-golden"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended: pytest tests/bot/handoff --update-golden (or UPDATE_GOLDEN=1)"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_rendering_is_redacted(golden_tickets, fmt):
    for ticket in golden_tickets.values():
        text = render(ticket, fmt)
        for secret in SECRETS:
            assert secret not in text
    raw = json.dumps(golden_tickets["escalation"].transcript) + json.dumps(golden_tickets["escalation"].messages)
    assert "hunter2" in raw and "Tr0ub4dor" in raw, "the store keeps the raw text"
    assert all(s not in json.dumps(summary_document(t)) for t in golden_tickets.values() for s in SECRETS)
    assert all(s not in summary_text(t) for t in golden_tickets.values() for s in SECRETS)


def test_unknown_format(golden_tickets):
    with pytest.raises(ValueError):
        render(golden_tickets["safety"], "pdf")
