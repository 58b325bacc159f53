"""A hand-off ticket as the agent reads it: Markdown, HTML (escaped, self-contained) and JSON.

Every rendering starts from :func:`ticket_document`, the JSON document described by
docs/handoff-schema.json (``schema_version`` below), with every free text redacted
(bot.handoff.redact). Identifiers (reference, conversation id, channel, customer reference)
and timestamps are kept as they are: the agent needs them to reach the customer.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional

from bot.handoff.redact import redact_data
from bot.handoff.store import Ticket, iso

SCHEMA_VERSION = "1.1"
SCHEMA_ID = "https://kasa-camera-troubleshooter.example/schemas/handoff-ticket-1.1.json"
FORMATS = ("md", "html", "json")

#: Keys whose values are identifiers or timestamps, never redacted.
KEEP = frozenset(
    {
        "schema_version",
        "reference",
        "status",
        "conversation_id",
        "channel",
        "customer_ref",
        "created_at",
        "updated_at",
        "claimed_at",
        "resolved_at",
        "cancelled_at",
        "handed_back_at",
        "timestamp",
        "at",
        "kind",
    }
)

RECOMMENDATION_LABELS = {
    "replace": "Replace the camera",
    "return": "Return the camera",
    "contact_support": "Contact Kasa support",
    "wait_for_outage": "Wait for the outage to end",
    "safety": "Safety stop",
    "human_support": "Human support",
}
WARRANTY_LABELS = {
    "in_return_period": "within the return period",
    "in_warranty": "under warranty",
    "out_of_warranty": "out of warranty",
    "unsure": "not sure",
    "not_sure": "not sure",
}
THRESHOLD_GROUPS = {
    "replacement_required": "Camera replacement required",
    "no_repair_possible": "No repair possible",
    "return_recommended": "Return recommended",
    "step_decisions": "The guide's step decision",
    "scenario_decisions": "The guide's fix scenario",
}
STATUS_LABELS = {
    "open": "Open",
    "claimed": "Claimed",
    "resolved": "Resolved",
    "cancelled": "Cancelled by the customer",
    "handed_back": "Handed back to the bot",
}
WHO_LABELS = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "system": "System"}
SOURCE_NOTES = {
    "observed": "what the step showed",
    "assumed": "assumed from the symptom, not asked: not evidence",
}


def _label(mapping: Dict[str, str], value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return mapping.get(value, str(value).replace("_", " "))


# --------------------------------------------------------------------------------------------
# The document (JSON, schema 1.0)
# --------------------------------------------------------------------------------------------


def for_assigned(ticket: Ticket, agent: Optional[str]) -> bool:
    """Whether a view is the assigned agent's: then the contact details the customer typed for them
    are shown (passwords never are)."""
    return ticket.assigned_to((agent or "").strip() or None)


def ticket_document(ticket: Ticket, redacted: bool = True, agent: Optional[str] = None) -> Dict[str, Any]:
    """The ticket as a JSON-able dict following docs/handoff-schema.json; ``agent``: who reads it
    (the assigned agent sees contact details)."""
    names = ticket.cause_names()
    doc: Dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "reference": ticket.reference,
        "status": ticket.status,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
        "customer_ref": ticket.customer_ref,
        "reason": ticket.reason,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "claimed_at": iso(ticket.claimed_at),
        "claimed_by": ticket.claimed_by,
        "customer_name": ticket.customer_name,
        "resolved_at": iso(ticket.resolved_at),
        "resolution_note": ticket.resolution_note,
        "cancelled_at": iso(ticket.cancelled_at),
        "handed_back_at": iso(ticket.handed_back_at),
        "camera": {
            "model": ticket.camera_model,
            "in_use_for": ticket.in_use_for,
            "in_use_days": ticket.in_use_days,
        },
        "context": dict(ticket.context),
        "symptoms": list(ticket.symptoms),
        "questions": [_entry(q) for q in ticket.questions],
        "steps_tried": [_entry(s) for s in ticket.steps_tried],
        "skipped": list(ticket.skipped),
        "assessment": {
            "outcome": (ticket.case.get("outcome") or {}).get("type")
            if isinstance(ticket.case.get("outcome"), dict)
            else None,
            "cause": ticket.cause,
            "cause_name": ticket.cause_name,
            "probability": ticket.probability,
            "ranking": [
                {"cause": r.get("cause"), "name": r.get("name"), "probability": r.get("probability")}
                for r in ticket.ranking
            ],
            "ruled_out": [
                {
                    "cause": r.get("cause"),
                    "name": r.get("name") or names.get(str(r.get("cause"))),
                    "why": r.get("sentence"),
                }
                for r in ticket.ruled_out
                if isinstance(r, dict)
            ],
            "thresholds": [
                {
                    "group": t.get("group"),
                    "id": t.get("id"),
                    "text": t.get("text"),
                    "evidence": [str(e) for e in t.get("evidence") or ()],
                }
                for t in ticket.thresholds
            ],
            "route": ticket.route,
            "recommendation": ticket.recommendation,
            "recommendation_label": _label(RECOMMENDATION_LABELS, ticket.recommendation),
            "recommendation_text": ticket.recommendation_text,
            "scenario": dict(ticket.scenario) if ticket.scenario else None,
            "notes": list(ticket.notes),
        },
        "safety": list(ticket.safety),
        "warranty": {
            "status": ticket.warranty,
            "status_label": _label(WARRANTY_LABELS, ticket.warranty),
            "hint": ticket.warranty_hint,
        },
        "customer_messages": [_message(m) for m in ticket.messages],
        "transcript": [_event(e) for e in ticket.transcript],
    }
    if not redacted:
        return doc
    return redact_data(doc, keep=KEEP, contacts=not for_assigned(ticket, agent))


def _message(m: Dict[str, Any]) -> Dict[str, Any]:
    out = {"who": m.get("who", "customer"), "text": m.get("text", ""), "at": m.get("at")}
    if m.get("agent"):
        out["agent"] = m["agent"]
    if m.get("kind") and m["kind"] != "text":
        out["kind"] = m["kind"]
    return out


def _entry(item: Dict[str, Any]) -> Dict[str, Any]:
    entry = {
        "ref": item.get("ref"),
        "asked": item.get("asked"),
        "answer": item.get("answer"),
        "source": item.get("source"),
    }
    for key in ("quote", "note"):
        if item.get(key):
            entry[key] = item[key]
    for key in ("volunteered", "before"):
        if item.get(key):
            entry[key] = True
    return entry


def _event(event: Dict[str, Any]) -> Dict[str, Any]:
    out = {
        "who": event.get("who", "system"),
        "text": event.get("text", ""),
        "buttons": [str(b) for b in event.get("buttons") or []],
        "timestamp": event.get("timestamp"),
    }
    if event.get("intent"):
        out["intent"] = event["intent"]
    return out


def summary_document(ticket: Ticket) -> Dict[str, Any]:
    """One line of the agent's queue (API GET /tickets, CLI list), redacted."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "reference": ticket.reference,
        "status": ticket.status,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "claimed_by": ticket.claimed_by,
        "channel": ticket.channel,
        "customer_ref": ticket.customer_ref,
        "customer_name": ticket.customer_name,
        "camera_model": ticket.camera_model,
        "in_use_for": ticket.in_use_for,
        "symptoms": list(ticket.symptoms),
        "recommendation": ticket.recommendation,
        "cause": ticket.cause,
        "cause_name": ticket.cause_name,
        "safety": bool(ticket.safety),
        "waiting_messages": len(ticket.messages),  # the hand-off's messages, both ways (name kept for 1.0 readers)
    }
    return redact_data(doc, keep=KEEP)


def render_json(ticket: Ticket, agent: Optional[str] = None) -> str:
    return json.dumps(ticket_document(ticket, agent=agent), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# Shared wording
# --------------------------------------------------------------------------------------------


def _when(stamp: Optional[str]) -> str:
    """'2026-11-24T10:44:04Z' -> '2026-11-24 10:44 UTC'."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _clock(stamp: Optional[str]) -> str:
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        return stamp


def _percent(probability: Any) -> str:
    if not isinstance(probability, (int, float)):
        return "?"
    value = probability * 100
    if value and value < 1:
        return "<1%"
    return f"{value:.0f}%"


def _status_line(doc: Dict[str, Any]) -> str:
    status = doc["status"]
    line = STATUS_LABELS.get(status, status)
    if status == "claimed" and doc.get("claimed_by"):
        line += f" by {doc['claimed_by']} since {_when(doc['claimed_at'])}"
    elif status == "resolved":
        line += f" {_when(doc['resolved_at'])}"
        if doc.get("claimed_by"):
            line += f" by {doc['claimed_by']}"
    elif status == "cancelled":
        line += f" {_when(doc['cancelled_at'])}"
    elif status == "handed_back":
        line += f" {_when(doc['handed_back_at'])}"
        if doc.get("claimed_by"):
            line += f" by {doc['claimed_by']}"
    return line


CHANNEL_LABELS = {"socketio": "web chat", "telegram": "Telegram", "rest": "REST API", "cmdline": "terminal"}


def _customer(doc: Dict[str, Any]) -> str:
    name, ref = doc.get("customer_name"), doc.get("customer_ref") or "unknown"
    return f"{name} ({ref})" if name else ref


def _camera_line(doc: Dict[str, Any]) -> str:
    camera = doc["camera"]
    model = camera.get("model") or "model not given"
    if camera.get("in_use_for"):
        # the customer's words do not say whether this is the camera's age or how long the problem lasts
        return f"{model}, customer mentioned {camera['in_use_for']}"
    return f"{model}, no time mentioned"


def _other_context(doc: Dict[str, Any]) -> List[tuple]:
    return [
        (k.replace("_", " ").capitalize(), v)
        for k, v in doc["context"].items()
        if k not in ("camera_model", "duration")
    ]


def _overview(doc: Dict[str, Any]) -> List[tuple]:
    """The ticket's head rows (label, value, emphasised), the same in every rendering."""
    rows = [
        ("Status", _status_line(doc), False),
        ("Opened", _when(doc["created_at"]), False),
        ("Channel", CHANNEL_LABELS.get(doc["channel"] or "", doc["channel"] or "unknown"), False),
        ("Customer", _customer(doc), False),
        ("Conversation", doc["conversation_id"], False),
        ("Camera", _camera_line(doc), False),
    ]
    rows += [(key, value, False) for key, value in _other_context(doc)]
    rows += [
        ("Recommendation", doc["assessment"]["recommendation_label"], True),
        ("Why handed over", doc["reason"] or "not given", False),
    ]
    if doc.get("resolution_note"):
        rows.append(("Resolution note", doc["resolution_note"], False))
    return rows


def _warranty_lines(doc: Dict[str, Any]) -> List[tuple]:
    """(label, text) of what is known about the warranty, the same in every rendering."""
    warranty = doc["warranty"]
    lines = []
    if warranty.get("status"):
        lines.append(("Customer says", warranty["status_label"]))
    if warranty.get("hint"):
        lines.append(("Hint", warranty["hint"]))
    return lines


def _speaker(message: Dict[str, Any]) -> str:
    if message.get("who") == "agent":
        return f"{message.get('agent') or 'Agent'} (agent)"
    return "Customer"


def _said(message: Dict[str, Any]) -> str:
    kind = message.get("kind")
    if kind == "photo":
        return "[photo] " + (message.get("text") or "")
    if kind == "contact":
        return "[contact for a follow-up] " + (message.get("text") or "")
    return message.get("text") or ""


def _answer_note(entry: Dict[str, Any]) -> str:
    notes = []
    if entry.get("source") in SOURCE_NOTES:
        notes.append(SOURCE_NOTES[entry["source"]])
    if entry.get("before"):
        notes.append("done before the conversation")
    if entry.get("volunteered"):
        notes.append("volunteered by the customer")
    if entry.get("quote") and entry["quote"] != entry.get("answer"):
        notes.append(f'customer\'s words: "{entry["quote"]}"')
    if entry.get("note"):
        notes.append(entry["note"])
    return "; ".join(notes)


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

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


def render_markdown(ticket: Ticket, agent: Optional[str] = None) -> str:
    doc = ticket_document(ticket, agent=agent)
    a = doc["assessment"]
    out: List[str] = [f"# Support ticket {doc['reference']}", ""]
    out += ["| | |", "|---|---|"]
    for key, value, strong in _overview(doc):
        value = cell(value)
        out.append(f"| {cell(key)} | {'**' + value + '**' if strong else value} |")
    out.append("")

    if doc["safety"]:
        out += ["## ⚠️ Safety", ""] + [f"- {md(s, '  ')}" for s in doc["safety"]] + [""]

    out += ["## Symptoms", ""]
    out += [f"- {md(s, '  ')}" for s in doc["symptoms"]] or ["- none recorded"]
    out.append("")

    out += ["## Recommendation", ""]
    line = f"**{md(a['recommendation_label'])}**"
    if a.get("recommendation_text"):
        line += f": {md(a['recommendation_text'])}"
    out += [line, ""]
    if a["thresholds"]:
        out += ["Threshold met (the guide's escalation thresholds):", ""]
        out += [f"- {md(_label(THRESHOLD_GROUPS, t['group']))}: {md(_met(t))}" for t in a["thresholds"]]
        out.append("")
    if a.get("scenario"):
        sc = a["scenario"]
        out += [
            f"Guide scenario {md(sc.get('id'))}: {md(sc.get('fix'))} Verification: {md(sc.get('verification'))}",
            "",
        ]
    if a["notes"]:
        out += ["Good to know:", ""] + [f"- {md(n, '  ')}" for n in a["notes"]] + [""]

    warranty = _warranty_lines(doc)
    if warranty:
        out += ["## Warranty", ""] + [f"- {label}: {md(text)}" for label, text in warranty] + [""]

    out += ["## Likely causes", ""]
    if a["ranking"]:
        out += ["| Cause | Probability |", "|---|---:|"]
        out += [f"| {cell(r['name'] or r['cause'])} | {_percent(r['probability'])} |" for r in a["ranking"]]
    else:
        out.append("No diagnosis yet.")
    out.append("")
    if a["ruled_out"]:
        out += ["Why not the others:", ""]
        out += [f"- {md(item['name'])}: {md(item['why'])}" for item in a["ruled_out"]]
        out.append("")

    out += ["## Questions asked", ""]
    out += _md_entries(doc["questions"]) or ["No questions asked."]
    out.append("")
    out += ["## Steps tried", ""]
    out += _md_entries(doc["steps_tried"]) or ["No steps tried."]
    out.append("")
    if doc["skipped"]:
        out += ["Skipped by the customer: " + ", ".join(md(s) for s in doc["skipped"]), ""]

    if doc["customer_messages"]:
        out += ["## Messages during the hand-off", ""]
        out += [f"- {_clock(m['at'])} {md(_speaker(m))}: {md(_said(m), '  ')}" for m in doc["customer_messages"]]
        out.append("")

    out += ["## Transcript", ""]
    for event in doc["transcript"]:
        who = WHO_LABELS.get(event["who"], str(event["who"]).capitalize())
        stamp = f" ({_clock(event['timestamp'])})" if event.get("timestamp") else ""
        out.append(f"- **{md(who)}**{stamp}: {md(event['text'], '  ')}")
        if event["buttons"]:
            out.append("  Buttons: " + " · ".join(f"\\[{md(b)}\\]" for b in event["buttons"]))
    if not doc["transcript"]:
        out.append("No transcript.")
    out.append("")
    out.append(f"_Schema {SCHEMA_VERSION}; {_redaction_note(ticket, agent)}._")
    return "\n".join(out) + "\n"


def _md_entries(entries: Iterable[Dict[str, Any]]) -> List[str]:
    lines = []
    for i, e in enumerate(entries, 1):
        note = _answer_note(e)
        ref = f" _({md(e['ref'])})_" if e.get("ref") and e["ref"] != "questions" else ""
        lines.append(f"{i}. {md(e['asked'], '   ')}{ref} → **{md(e['answer'])}**" + (f" ({md(note)})" if note else ""))
    return lines


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

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


def _met(threshold: Dict[str, Any]) -> str:
    """A threshold with what met it."""
    evidence = "; ".join(threshold.get("evidence") or ())
    return f"{threshold['text']} ({evidence})" if evidence else str(threshold["text"])


def h(text: Any) -> str:
    """Escape free text for HTML; newlines become <br>."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True).replace("\r\n", "\n").replace("\n", "<br>\n")


def render_html(ticket: Ticket, agent: Optional[str] = None) -> str:
    doc = ticket_document(ticket, agent=agent)
    a = doc["assessment"]
    ref = h(doc["reference"])
    out: List[str] = [
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
        "<table>",
    ]
    for key, value, strong in _overview(doc):
        css = ' class="reco"' if strong else ""
        out.append(f"<tr><th>{h(key)}</th><td{css}>{h(value)}</td></tr>")
    out.append("</table>")

    if doc["safety"]:
        out += ['<section class="safety">', "<h2>⚠️ Safety</h2>", "<ul>"]
        out += [f"<li>{h(s)}</li>" for s in doc["safety"]]
        out += ["</ul>", "</section>"]

    out += ["<h2>Symptoms</h2>", "<ul>"]
    out += [f"<li>{h(s)}</li>" for s in doc["symptoms"]] or ["<li>none recorded</li>"]
    out.append("</ul>")

    out += [
        "<h2>Recommendation</h2>",
        f'<p><span class="reco">{h(a["recommendation_label"])}</span>'
        + (f": {h(a['recommendation_text'])}" if a.get("recommendation_text") else "")
        + "</p>",
    ]
    if a["thresholds"]:
        out += ["<p>Threshold met (the guide's escalation thresholds):</p>", "<ul>"]
        out += [f"<li>{h(_label(THRESHOLD_GROUPS, t['group']))}: {h(_met(t))}</li>" for t in a["thresholds"]]
        out.append("</ul>")
    if a.get("scenario"):
        sc = a["scenario"]
        out.append(
            f"<p>Guide scenario {h(sc.get('id'))}: {h(sc.get('fix'))} Verification: {h(sc.get('verification'))}</p>"
        )
    if a["notes"]:
        out += ["<p>Good to know:</p>", "<ul>"] + [f"<li>{h(n)}</li>" for n in a["notes"]] + ["</ul>"]

    warranty = _warranty_lines(doc)
    if warranty:
        out += ["<h2>Warranty</h2>", "<ul>"] + [f"<li>{label}: {h(text)}</li>" for label, text in warranty] + ["</ul>"]

    out.append("<h2>Likely causes</h2>")
    if a["ranking"]:
        out += ["<table>", "<tr><th>Cause</th><th>Probability</th></tr>"]
        out += [
            f'<tr><td>{h(r["name"] or r["cause"])}</td><td class="num">{h(_percent(r["probability"]))}</td></tr>'
            for r in a["ranking"]
        ]
        out.append("</table>")
    else:
        out.append("<p>No diagnosis yet.</p>")
    if a["ruled_out"]:
        out += ["<p>Why not the others:</p>", "<ul>"]
        out += [f"<li>{h(item['name'])}: {h(item['why'])}</li>" for item in a["ruled_out"]]
        out.append("</ul>")

    out.append("<h2>Questions asked</h2>")
    out += _html_entries(doc["questions"], "No questions asked.")
    out.append("<h2>Steps tried</h2>")
    out += _html_entries(doc["steps_tried"], "No steps tried.")
    if doc["skipped"]:
        out.append(f"<p>Skipped by the customer: {h(', '.join(doc['skipped']))}</p>")

    if doc["customer_messages"]:
        out += ["<h2>Messages during the hand-off</h2>", "<ul>"]
        out += [
            f'<li><span class="muted">{h(_clock(m["at"]))}</span> <span class="who">{h(_speaker(m))}</span>: '
            f"{h(_said(m))}</li>"
            for m in doc["customer_messages"]
        ]
        out.append("</ul>")

    out += ["<h2>Transcript</h2>"]
    if doc["transcript"]:
        out.append('<ol class="transcript">')
        for event in doc["transcript"]:
            who = WHO_LABELS.get(event["who"], str(event["who"]).capitalize())
            css = event["who"] if event["who"] in WHO_LABELS else "system"
            stamp = f' <span class="muted">{h(_clock(event["timestamp"]))}</span>' if event.get("timestamp") else ""
            line = f'<li class="{css}"><span class="who">{h(who)}</span>{stamp}: {h(event["text"])}'
            if event["buttons"]:
                line += '<div class="buttons">' + "".join(f"<span>{h(b)}</span>" for b in event["buttons"]) + "</div>"
            out.append(line + "</li>")
        out.append("</ol>")
    else:
        out.append("<p>No transcript.</p>")
    out += [
        f'<p class="muted">Schema {SCHEMA_VERSION}; {h(_redaction_note(ticket, agent))}.</p>',
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


def _html_entries(entries: List[Dict[str, Any]], empty: str) -> List[str]:
    if not entries:
        return [f"<p>{h(empty)}</p>"]
    out = ["<ol>"]
    for e in entries:
        note = _answer_note(e)
        ref = f' <span class="muted">({h(e["ref"])})</span>' if e.get("ref") and e["ref"] != "questions" else ""
        out.append(
            f"<li>{h(e['asked'])}{ref} → <strong>{h(e['answer'])}</strong>"
            + (f' <span class="muted">({h(note)})</span>' if note else "")
            + "</li>"
        )
    out.append("</ol>")
    return out


# --------------------------------------------------------------------------------------------
# Plain text (Telegram notice, CLI)
# --------------------------------------------------------------------------------------------


def summary_text(ticket: Ticket, base_url: Optional[str] = None) -> str:
    """A short plain-text summary (redacted) for a chat notice."""
    doc = ticket_document(ticket)
    a = doc["assessment"]
    channel = CHANNEL_LABELS.get(doc["channel"] or "", doc["channel"] or "unknown channel")
    lines = [f"New hand-off {doc['reference']} ({channel})"]
    if doc["safety"]:
        lines.append("⚠️ Safety: " + " ".join(doc["safety"]))
    lines.append("Camera: " + _camera_line(doc))
    if doc["symptoms"]:
        lines.append("Problem: " + "; ".join(doc["symptoms"]))
    lines.append("Recommendation: " + (a["recommendation_label"] or ""))
    if a.get("cause_name") and a.get("outcome") == "escalation":
        lines.append(f"Likely cause: {a['cause_name']} ({_percent(a['probability'])})")
    if a["thresholds"]:
        lines.append("Threshold: " + " ".join(t["text"] for t in a["thresholds"] if t.get("text")))
    if doc["warranty"].get("hint"):
        lines.append("Warranty: " + doc["warranty"]["hint"])
    lines.append(f"Questions answered: {len(doc['questions'])}, steps tried: {len(doc['steps_tried'])}")
    lines.append(f"Why: {doc['reason'] or 'not given'}")
    if base_url:
        lines.append(f"{base_url.rstrip('/')}/tickets/{doc['reference']}?format=html")
    return "\n".join(lines)


def _redaction_note(ticket: Ticket, agent: Optional[str]) -> str:
    if for_assigned(ticket, agent):
        return f"shown to {ticket.claimed_by}, who has the case: contact details as typed, passwords redacted"
    return "e-mail addresses, phone numbers and passwords are redacted"


def render(ticket: Ticket, fmt: str = "md", agent: Optional[str] = None) -> str:
    """``agent``: who reads it; the agent who has the case sees the contact details the customer typed."""
    if fmt in ("md", "markdown"):
        return render_markdown(ticket, agent)
    if fmt == "html":
        return render_html(ticket, agent)
    if fmt == "json":
        return render_json(ticket, agent)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "summary_document",
    "summary_text",
    "ticket_document",
]
