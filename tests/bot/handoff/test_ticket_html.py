"""The ticket as an HTML page: escaped and self-contained."""

from __future__ import annotations

import re

from bot.handoff.ticket_html import render_html


def test_html_is_escaped_and_self_contained(golden_tickets):
    page = render_html(golden_tickets["escalation"])
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), "no external resources"
    assert "<link" not in page and "<img" not in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Content-Security-Policy" in page
