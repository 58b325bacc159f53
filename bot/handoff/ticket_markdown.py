"""A hand-off ticket as Markdown, for the agent's terminal or chat: every free text escaped."""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Optional

from bot.handoff import ticket_wording as wording
from bot.handoff.store import Ticket
from bot.handoff.ticket_document import SCHEMA_VERSION
from bot.handoff.ticket_layout import Item, TicketFormat

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~&!])")


def md(text: Any, indent: str = "") -> str:
    """Escape free text for Markdown; a newline becomes a hard break continuing at ``indent``."""
    if text is None:
        return ""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    lines = escaped.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        line = re.sub(r"^(\s*)([-+=]|\d+[.)])", r"\1\\\2", line)
        out.append(indent + line)
    return "\\\n".join(out)


def cell(text: Any) -> str:
    """Free text for a Markdown table cell: one line."""
    return md(" ".join(str(text).split())) if text is not None else ""


def _bullets(texts: Iterable[str]) -> List[str]:
    """A list item per text; a text's further lines stay inside its item."""
    return [f"- {md(text, '  ')}" for text in texts]


class _Markdown(TicketFormat):
    def head(self, reference: str) -> List[str]:
        return [f"# Support ticket {reference}", ""]

    def overview(self, rows: List[tuple]) -> List[str]:
        out = ["| | |", "|---|---|"]
        for key, value, strong in rows:
            value = cell(value)
            out.append(f"| {cell(key)} | {'**' + value + '**' if strong else value} |")
        return out + [""]

    def safety(self, warnings: List[str]) -> List[str]:
        return ["## ⚠️ Safety", ""] + _bullets(warnings) + [""]

    def symptoms(self, symptoms: List[str]) -> List[str]:
        return ["## Symptoms", ""] + (_bullets(symptoms) or ["- none recorded"]) + [""]

    def recommendation(self, label: Optional[str], text: Optional[str]) -> List[str]:
        line = f"**{md(label)}**" + (f": {md(text)}" if text else "")
        return ["## Recommendation", "", line, ""]

    def thresholds(self, thresholds: List[Item]) -> List[str]:
        met = [f"- {md(wording.threshold_group(t))}: {md(wording.threshold_met(t))}" for t in thresholds]
        return ["Threshold met (the guide's escalation thresholds):", ""] + met + [""]

    def scenario(self, scenario: Item) -> List[str]:
        fix, check = md(scenario.get("fix")), md(scenario.get("verification"))
        return [f"Guide scenario {md(scenario.get('id'))}: {fix} Verification: {check}", ""]

    def notes(self, notes: List[str]) -> List[str]:
        return ["Good to know:", ""] + _bullets(notes) + [""]

    def warranty(self, lines: List[tuple]) -> List[str]:
        return ["## Warranty", ""] + [f"- {name}: {md(text)}" for name, text in lines] + [""]

    def ranking(self, ranking: List[Item]) -> List[str]:
        if not ranking:
            return ["## Likely causes", "", "No diagnosis yet.", ""]
        rows = [f"| {cell(r['name'] or r['cause'])} | {wording.percent(r['probability'])} |" for r in ranking]
        return ["## Likely causes", "", "| Cause | Probability |", "|---|---:|"] + rows + [""]

    def ruled_out(self, ruled_out: List[Item]) -> List[str]:
        return ["Why not the others:", ""] + [f"- {md(item['name'])}: {md(item['why'])}" for item in ruled_out] + [""]

    def entries(self, title: str, entries: List[Item], empty: str) -> List[str]:
        return [f"## {md(title)}", ""] + (_numbered(entries) or [md(empty)]) + [""]

    def skipped(self, steps: List[str]) -> List[str]:
        return ["Skipped by the customer: " + ", ".join(md(s) for s in steps), ""]

    def messages(self, messages: List[Item]) -> List[str]:
        lines = [f"- {wording.clock(m['at'])} {md(wording.speaker(m))}: {md(wording.said(m), '  ')}" for m in messages]
        return ["## Messages during the hand-off", ""] + lines + [""]

    def transcript(self, events: List[Item]) -> List[str]:
        out = ["## Transcript", ""]
        for event in events:
            stamp = f" ({wording.clock(event['timestamp'])})" if event.get("timestamp") else ""
            out.append(f"- **{md(wording.who_label(event['who']))}**{stamp}: {md(event['text'], '  ')}")
            if event["buttons"]:
                out.append("  Buttons: " + " · ".join(f"\\[{md(b)}\\]" for b in event["buttons"]))
        if not events:
            out.append("No transcript.")
        return out + [""]

    def foot(self, note: str) -> List[str]:
        return [f"_Schema {SCHEMA_VERSION}; {note}._"]


def _numbered(entries: Iterable[Item]) -> List[str]:
    lines = []
    for i, e in enumerate(entries, 1):
        note = wording.answer_note(e)
        ref = f" _({md(e['ref'])})_" if e.get("ref") and e["ref"] != "questions" else ""
        lines.append(f"{i}. {md(e['asked'], '   ')}{ref} → **{md(e['answer'])}**" + (f" ({md(note)})" if note else ""))
    return lines


_MARKDOWN = _Markdown()


def render_markdown(ticket: Ticket, agent: Optional[str] = None) -> str:
    return _MARKDOWN.render(ticket, agent)
