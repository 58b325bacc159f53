"""A hand-off ticket as the agent reads it: Markdown, HTML (escaped, self-contained), JSON, or a
short plain-text summary for a chat notice.

Every rendering starts from the redacted document of :mod:`bot.handoff.ticket_document`; the
formats themselves are in :mod:`bot.handoff.ticket_markdown` and :mod:`bot.handoff.ticket_html`.
"""

from __future__ import annotations

import json
from typing import Optional

from bot.handoff.store import Ticket
from bot.handoff.ticket_document import ticket_document
from bot.handoff.ticket_html import render_html
from bot.handoff.ticket_markdown import render_markdown
from bot.handoff.ticket_wording import CHANNEL_LABELS, camera_line, percent

FORMATS = ("md", "html", "json")


def render_json(ticket: Ticket, agent: Optional[str] = None) -> str:
    return json.dumps(ticket_document(ticket, agent=agent), indent=2, ensure_ascii=False) + "\n"


def summary_text(ticket: Ticket, base_url: Optional[str] = None) -> str:
    """A short plain-text summary (redacted) for a chat notice."""
    doc = ticket_document(ticket)
    a = doc["assessment"]
    channel = CHANNEL_LABELS.get(doc["channel"] or "", doc["channel"] or "unknown channel")
    lines = [f"New hand-off {doc['reference']} ({channel})"]
    if doc["safety"]:
        lines.append("⚠️ Safety: " + " ".join(doc["safety"]))
    lines.append("Camera: " + camera_line(doc))
    if doc["symptoms"]:
        lines.append("Problem: " + "; ".join(doc["symptoms"]))
    lines.append("Recommendation: " + (a["recommendation_label"] or ""))
    if a.get("cause_name") and a.get("outcome") == "escalation":
        lines.append(f"Likely cause: {a['cause_name']} ({percent(a['probability'])})")
    if a["thresholds"]:
        lines.append("Threshold: " + " ".join(t["text"] for t in a["thresholds"] if t.get("text")))
    if doc["warranty"].get("hint"):
        lines.append("Warranty: " + doc["warranty"]["hint"])
    lines.append(f"Questions answered: {len(doc['questions'])}, steps tried: {len(doc['steps_tried'])}")
    lines.append(f"Why: {doc['reason'] or 'not given'}")
    if base_url:
        lines.append(f"{base_url.rstrip('/')}/tickets/{doc['reference']}?format=html")
    return "\n".join(lines)


def render(ticket: Ticket, fmt: str = "md", agent: Optional[str] = None) -> str:
    """``agent``: who reads it; the agent who has the case sees the contact details the customer typed."""
    if fmt in ("md", "markdown"):
        return render_markdown(ticket, agent)
    if fmt == "html":
        return render_html(ticket, agent)
    if fmt == "json":
        return render_json(ticket, agent)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_json", "summary_text"]
