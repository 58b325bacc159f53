"""Renderings of a ticket: golden files, escaping, redaction, the JSON schema."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from bot.handoff.render import render, summary_text
from bot.handoff.ticket_document import SCHEMA_VERSION, summary_document, ticket_document
from bot.handoff.ticket_html import render_html
from bot.handoff.ticket_markdown import render_markdown
from tests.bot.handoff.conftest import GOLDEN, REPO_ROOT, load_case, make_golden_tickets

SCHEMA = json.loads((REPO_ROOT / "docs" / "handoff-schema.json").read_text(encoding="utf-8"))
FORMATS = ("md", "html", "json")
SECRETS = ["jane.doe@example.com", "010-4477", "hunter2", "Secret123", "900123", "Tr0ub4dor"]


@pytest.fixture
def tickets(golden_store):
    return make_golden_tickets(golden_store)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["escalation", "safety"])
def test_golden(tickets, name, fmt, update_golden):
    path = GOLDEN / f"{name}.{fmt}"
    text = render(tickets[name], fmt)
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run pytest tests/bot/handoff --update-golden"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended: pytest tests/bot/handoff --update-golden (or UPDATE_GOLDEN=1)"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_rendering_is_redacted(tickets, fmt):
    for ticket in tickets.values():
        text = render(ticket, fmt)
        for secret in SECRETS:
            assert secret not in text
    raw = json.dumps(tickets["escalation"].transcript) + json.dumps(tickets["escalation"].messages)
    assert "hunter2" in raw and "Tr0ub4dor" in raw, "the store keeps the raw text"
    assert all(s not in json.dumps(summary_document(t)) for t in tickets.values() for s in SECRETS)
    assert all(s not in summary_text(t) for t in tickets.values() for s in SECRETS)


def test_json_follows_the_documented_schema(tickets):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    for ticket in tickets.values():
        doc = json.loads(render(ticket, "json"))
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
        assert doc["schema_version"] == SCHEMA_VERSION
        assert doc == ticket_document(ticket)


def test_the_json_carries_the_whole_case(tickets):
    doc = ticket_document(tickets["escalation"])
    assert doc["reference"] == "K7QM4XPA" and doc["status"] == "claimed" and doc["claimed_by"] == "alice"
    assert doc["camera"] == {"model": "KC120", "in_use_for": "3 weeks", "in_use_days": 21.0}
    assert doc["symptoms"] == ["Kasa camera pan tilt stopped working"]
    assert len(doc["questions"]) == len(load_case("case_pan_tilt_return")["questions"]) == 5
    a = doc["assessment"]
    assert a["recommendation"] == "return" and a["ranking"][0]["probability"] > 0.95
    # one plain sentence per plausible other cause, none of it engine output
    assert {r["cause"] for r in a["ruled_out"]} >= {"power_supply", "gear_jam"}
    for r in a["ruled_out"]:
        assert r["why"].endswith(".") and "=" not in r["why"] and "×" not in r["why"]
    assert [t["id"] for t in a["thresholds"]] == ["pan_tilt_motor_failed", "motor_driver_sealed", "first_month"]
    assert doc["warranty"] == {
        "status": "in_warranty",
        "status_label": "under warranty",
        "hint": "Camera fails within first month (infant mortality).",
    }
    assert [m["text"] for m in doc["customer_messages"]] == [
        "hello? is anyone there",
        "pw: [redacted-password] (the new one)",
    ]
    assert doc["created_at"] == "2026-03-02T09:30:00Z"
    safety = ticket_document(tickets["safety"])
    assert safety["safety"] and safety["assessment"]["outcome"] == "fix"


def test_html_is_escaped_and_self_contained(tickets):
    page = render_html(tickets["escalation"])
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), "no external resources"
    assert "<link" not in page and "<img" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Content-Security-Policy" in page


def test_markdown_escapes_the_customers_text(tickets):
    text = render_markdown(tickets["escalation"])
    assert r"\<script\>" in text and r"\*\*not bold\*\*" in text and r"\# not a heading" in text
    assert "\n  \\- not a list \\| pipe" in text, "a second line stays inside its list item and cannot start a list"
    assert "| Recommendation | **Return the camera** |" in text


def test_unknown_format(tickets):
    with pytest.raises(ValueError):
        render(tickets["safety"], "pdf")
