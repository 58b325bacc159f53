"""From the bot's case to the ticket's fields: what ``TicketStore.create`` stores, JSON-safe."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from bot.engine.outcome import EscalationOutcome
from bot.handoff.store.ticket import HUMAN
from bot.handoff.store.times import iso
from bot.handoff.summary import CaseSummary


def in_use_words(days: Any) -> Optional[str]:
    """How long the camera has been in use, from the `duration` entity (days) or as typed."""
    if days is None or days == "":
        return None
    if isinstance(days, bool) or not isinstance(days, (int, float)):
        return str(days)
    if not math.isfinite(days) or days < 0:
        return str(days)

    def plural(n: float, unit: str) -> str:
        n = round(n, 1)
        n = int(n) if float(n).is_integer() else n
        return f"{n} {unit}" + ("" if n == 1 else "s")

    if days < 1:
        return "less than a day"
    if days < 14:
        return plural(days, "day")
    if days < 60:
        return plural(round(days / 7), "week")
    if days < 730:
        return plural(round(days / 30.4), "month")
    return plural(round(days / 365, 1), "year")


def in_use_days(duration: Any) -> Optional[float]:
    """The `duration` entity as a number of days, when it is a number."""
    return float(duration) if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None


def optional_text(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def _stamp(value: Any) -> Optional[str]:
    """Event timestamps (Rasa: float epoch seconds) as ISO 8601 UTC text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return iso(datetime.fromtimestamp(float(value), tz=timezone.utc))
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc))


def _button_title(button: Any) -> str:
    if isinstance(button, dict):
        return str(button.get("title") or button.get("text") or button.get("payload") or "")
    if isinstance(button, (list, tuple)) and button:
        return str(button[0])
    return str(button)


WHO = {"user": "customer", "customer": "customer", "bot": "bot", "agent": "agent", "system": "system"}


def normalize_transcript(transcript: Optional[Iterable[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Events as {who, text, buttons, timestamp[, intent]}; anything JSON-able, in order."""
    events = []
    for raw in transcript or ():
        if not isinstance(raw, dict):
            continue
        who = WHO.get(str(raw.get("who") or raw.get("event") or "").lower(), "system")
        entry = {
            "who": who,
            "text": "" if raw.get("text") is None else str(raw.get("text")),
            "buttons": [_button_title(b) for b in (raw.get("buttons") or [])],
            "timestamp": _stamp(raw.get("timestamp")),
        }
        if raw.get("intent"):
            entry["intent"] = str(raw["intent"])
        events.append(entry)
    return events


def json_safe(value: Any) -> Any:
    """A deep copy that JSON columns accept (tuples become lists, odd objects text)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def ticket_details(case: Dict[str, Any]) -> Dict[str, Any]:
    """The ticket's fields, read from the typed case summary (bot/handoff/summary.py)."""
    summary = CaseSummary.from_dict(case)
    outcome = summary.outcome
    escalation = outcome if isinstance(outcome, EscalationOutcome) else None
    ranking = [asdict(r) for r in (escalation.ranking[:4] if escalation else summary.ranking)]
    top = summary.ranking[0] if summary.ranking else None
    labels = {r["cause"]: r["name"] for r in ranking}
    if outcome is not None:
        labels[outcome.cause] = outcome.cause_name
    return {
        "reason": summary.reason or None,
        "context": dict(summary.context),
        "symptoms": list(summary.symptoms),
        "questions": [asdict(q) for q in summary.questions],
        "steps_tried": [asdict(q) for q in summary.steps_tried],
        "skipped": list(summary.skipped),
        "ranking": ranking,
        "outcome_type": outcome.type if outcome is not None else None,
        "cause": outcome.cause if outcome is not None else (top.cause if top else None),
        "cause_name": outcome.cause_name if outcome is not None else (top.name if top else None),
        "probability": outcome.probability if outcome is not None else (top.probability if top else None),
        # one plain sentence per cause that was plausible and is not named
        "ruled_out": [asdict(r) for r in escalation.ruled_out] if escalation else [],
        "cause_names": labels,
        "thresholds": [
            {"group": t.group, "id": t.id, "text": t.text, "evidence": [e.words(agent=True) for e in t.evidence]}
            for t in (escalation.thresholds if escalation else ())
        ],
        "recommendation": escalation.recommendation if escalation else HUMAN,
        "recommendation_text": escalation.text if escalation else None,
        "route": escalation.route if escalation else None,
        "scenario": asdict(outcome.scenario) if outcome is not None and outcome.scenario else None,
        "notes": list(escalation.notes) if escalation else [],
        "safety": list(summary.safety),
        "warranty_hint": escalation.warranty_hint if escalation else None,
        "warranty": escalation.warranty if escalation else None,
    }
