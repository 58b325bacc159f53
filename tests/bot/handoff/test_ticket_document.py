"""The ticket as a JSON document: the documented schema and the whole case."""

from __future__ import annotations

import json

import jsonschema

from bot.handoff.render import render
from bot.handoff.ticket_document import SCHEMA_VERSION, ticket_document
from tests.bot.handoff.conftest import REPO_ROOT, load_case

SCHEMA = json.loads((REPO_ROOT / "docs" / "handoff-schema.json").read_text(encoding="utf-8"))


def test_json_follows_the_documented_schema(golden_tickets):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    for ticket in golden_tickets.values():
        doc = json.loads(render(ticket, "json"))
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
        assert doc["schema_version"] == SCHEMA_VERSION
        assert doc == ticket_document(ticket)


def test_the_json_carries_the_whole_case(golden_tickets):
    doc = ticket_document(golden_tickets["escalation"])
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
    safety = ticket_document(golden_tickets["safety"])
    assert safety["safety"] and safety["assessment"]["outcome"] == "fix"
