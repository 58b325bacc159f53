"""The ticket as Markdown: the customer's text escaped."""

from __future__ import annotations

from bot.handoff.ticket_markdown import render_markdown


def test_markdown_escapes_the_customers_text(golden_tickets):
    text = render_markdown(golden_tickets["escalation"])
    assert r"\<script\>" in text and r"\*\*not bold\*\*" in text and r"\# not a heading" in text
    assert "\n  \\- not a list \\| pipe" in text, "a second line stays inside its list item and cannot start a list"
    assert "| Recommendation | **Return the camera** |" in text
