"""A hand-off ticket as one HTML page for the agent's browser: escaped and self-contained.

The page loads nothing, and its Content-Security-Policy forbids loading anything, so that no
text the customer typed can make the agent's browser fetch or run something.
"""

from __future__ import annotations

import html
from typing import Any, List, Optional

from bot.handoff import ticket_wording as wording
from bot.handoff.store import Ticket
from bot.handoff.ticket_document import SCHEMA_VERSION
from bot.handoff.ticket_layout import Item, TicketFormat

CSS = (  # one stylesheet, split only to keep lines short
    "\n"
    'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;'
    "max-width:60rem;padding:0 1rem;color:#1d1d1f;line-height:1.45}\n"
    "h1{font-size:1.6rem;margin-bottom:.5rem}h2{font-size:1.2rem;margin-top:1.8rem;"
    "border-bottom:1px solid #ddd;padding-bottom:.2rem}\n"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}\n"
    "th{background:#f5f5f7}td.num{text-align:right}.safety{background:#fff4e5;"
    "border-left:4px solid #e67e00;padding:.5rem 1rem}\n"
    ".reco{font-weight:600}.muted{color:#6e6e73}.who{font-weight:600}"
    ".buttons span{display:inline-block;border:1px solid #bbb;border-radius:.3rem;padding:0 .4rem;"
    "margin:.1rem .2rem;font-size:.9em}\n"
    "ol.transcript{list-style:none;padding-left:0}ol.transcript li{margin:.4rem 0;"
    "padding:.3rem .6rem;border-radius:.4rem}\n"
    "li.customer{background:#eef5ff}li.bot{background:#f5f5f7}li.agent{background:#eefbea}"
    "li.system{color:#6e6e73}\n"
)


def h(text: Any) -> str:
    """Escape free text for HTML; newlines become <br>."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True).replace("\r\n", "\n").replace("\n", "<br>\n")


def _items(items: List[str]) -> List[str]:
    """A bulleted list of ``items``, HTML already."""
    return ["<ul>"] + [f"<li>{item}</li>" for item in items] + ["</ul>"]


class _Html(TicketFormat):
    def head(self, reference: str) -> List[str]:
        ref = h(reference)
        return [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Support ticket {ref}</title>",
            f"<style>{CSS.strip()}</style>",
            "</head>",
            "<body>",
            f"<h1>Support ticket {ref}</h1>",
        ]

    def overview(self, rows: List[tuple]) -> List[str]:
        out = ["<table>"]
        for key, value, strong in rows:
            css = ' class="reco"' if strong else ""
            out.append(f"<tr><th>{h(key)}</th><td{css}>{h(value)}</td></tr>")
        return out + ["</table>"]

    def safety(self, warnings: List[str]) -> List[str]:
        return ['<section class="safety">', "<h2>⚠️ Safety</h2>"] + _items([h(s) for s in warnings]) + ["</section>"]

    def symptoms(self, symptoms: List[str]) -> List[str]:
        if not symptoms:
            return ["<h2>Symptoms</h2>", "<ul>", "<li>none recorded</li>", "</ul>"]
        return ["<h2>Symptoms</h2>"] + _items([h(s) for s in symptoms])

    def recommendation(self, label: Optional[str], text: Optional[str]) -> List[str]:
        more = f": {h(text)}" if text else ""
        return ["<h2>Recommendation</h2>", f'<p><span class="reco">{h(label)}</span>{more}</p>']

    def thresholds(self, thresholds: List[Item]) -> List[str]:
        met = [f"{h(wording.threshold_group(t))}: {h(wording.threshold_met(t))}" for t in thresholds]
        return ["<p>Threshold met (the guide's escalation thresholds):</p>"] + _items(met)

    def scenario(self, scenario: Item) -> List[str]:
        fix, check = h(scenario.get("fix")), h(scenario.get("verification"))
        return [f"<p>Guide scenario {h(scenario.get('id'))}: {fix} Verification: {check}</p>"]

    def notes(self, notes: List[str]) -> List[str]:
        return ["<p>Good to know:</p>"] + _items([h(n) for n in notes])

    def warranty(self, lines: List[tuple]) -> List[str]:
        return ["<h2>Warranty</h2>"] + _items([f"{name}: {h(text)}" for name, text in lines])

    def ranking(self, ranking: List[Item]) -> List[str]:
        if not ranking:
            return ["<h2>Likely causes</h2>", "<p>No diagnosis yet.</p>"]
        rows = [
            f'<tr><td>{h(r["name"] or r["cause"])}</td><td class="num">{h(wording.percent(r["probability"]))}</td></tr>'
            for r in ranking
        ]
        return (
            ["<h2>Likely causes</h2>", "<table>", "<tr><th>Cause</th><th>Probability</th></tr>"] + rows + ["</table>"]
        )

    def ruled_out(self, ruled_out: List[Item]) -> List[str]:
        return ["<p>Why not the others:</p>"] + _items([f"{h(item['name'])}: {h(item['why'])}" for item in ruled_out])

    def entries(self, title: str, entries: List[Item], empty: str) -> List[str]:
        return [f"<h2>{h(title)}</h2>"] + (_numbered(entries) if entries else [f"<p>{h(empty)}</p>"])

    def skipped(self, steps: List[str]) -> List[str]:
        return [f"<p>Skipped by the customer: {h(', '.join(steps))}</p>"]

    def messages(self, messages: List[Item]) -> List[str]:
        lines = [
            f'<span class="muted">{h(wording.clock(m["at"]))}</span> '
            f'<span class="who">{h(wording.speaker(m))}</span>: {h(wording.said(m))}'
            for m in messages
        ]
        return ["<h2>Messages during the hand-off</h2>"] + _items(lines)

    def transcript(self, events: List[Item]) -> List[str]:
        if not events:
            return ["<h2>Transcript</h2>", "<p>No transcript.</p>"]
        return ["<h2>Transcript</h2>", '<ol class="transcript">'] + [_event(e) for e in events] + ["</ol>"]

    def foot(self, note: str) -> List[str]:
        return [f'<p class="muted">Schema {SCHEMA_VERSION}; {h(note)}.</p>', "</body>", "</html>"]


def _numbered(entries: List[Item]) -> List[str]:
    out = ["<ol>"]
    for e in entries:
        note = wording.answer_note(e)
        ref = f' <span class="muted">({h(e["ref"])})</span>' if e.get("ref") and e["ref"] != "questions" else ""
        out.append(
            f"<li>{h(e['asked'])}{ref} → <strong>{h(e['answer'])}</strong>"
            + (f' <span class="muted">({h(note)})</span>' if note else "")
            + "</li>"
        )
    out.append("</ol>")
    return out


def _event(event: Item) -> str:
    """One line of the transcript."""
    # an unknown speaker gets the muted system style, never a class taken from the data
    css = event["who"] if event["who"] in wording.WHO_LABELS else "system"
    who = h(wording.who_label(event["who"]))
    stamp = f' <span class="muted">{h(wording.clock(event["timestamp"]))}</span>' if event.get("timestamp") else ""
    line = f'<li class="{css}"><span class="who">{who}</span>{stamp}: {h(event["text"])}'
    if event["buttons"]:
        line += '<div class="buttons">' + "".join(f"<span>{h(b)}</span>" for b in event["buttons"]) + "</div>"
    return line + "</li>"


_HTML = _Html()


def render_html(ticket: Ticket, agent: Optional[str] = None) -> str:
    return _HTML.render(ticket, agent)
