"""A structured case summary built from the diagnosis state, so an agent never re-asks.

Typed and frozen; `to_dict` / `CaseSummary.from_dict` turn it into JSON only at the edges (the
ticket row, the tracker slot).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from bot.engine import DiagnosisEngine, DiagnosisState
from bot.engine.outcome import Outcome, RankedCause, outcome_from_dict, plain, said
from bot.engine.state import ASSUMED


@dataclass(frozen=True)
class Entry:
    """One question answered or one step tried, in words."""

    asked: str  # the question or step, by its short title
    answer: str  # the answer in words (the option's label)
    source: str  # said | observed | assumed
    ref: str = ""  # where it sits in the guide ("Step 2", "Triage test 1"): for agents only
    quote: Optional[str] = None  # the customer's own words, when they typed them
    volunteered: bool = False  # said in a message, not in answer to the question
    before: bool = False  # a step the customer did before the conversation
    note: Optional[str] = None  # "out of date after a later repair"


@dataclass(frozen=True)
class CaseSummary:
    reason: str
    symptoms: Tuple[str, ...]  # the guide's phrases, for agents
    symptoms_said: Tuple[str, ...]  # the same in plain words, for the customer
    context: Dict[str, Any]
    questions: Tuple[Entry, ...]
    steps_tried: Tuple[Entry, ...]
    skipped: Tuple[str, ...]  # the questions or steps set aside, as asked
    ranking: Tuple[RankedCause, ...]
    outcome: Optional[Outcome]
    safety: Tuple[str, ...]

    def to_dict(self) -> Dict[str, Any]:
        data = plain(asdict(self))
        data["outcome"] = self.outcome.to_dict() if self.outcome is not None else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CaseSummary":
        """A stored summary; whatever is missing or malformed reads as empty, never as an error (a ticket
        must open whatever a stored case looks like)."""

        def items(key: str) -> List[Any]:
            value = data.get(key)
            return list(value) if isinstance(value, (list, tuple)) else []

        def entries(key: str) -> Tuple[Entry, ...]:
            found = []
            for item in items(key):
                if isinstance(item, Mapping) and isinstance(item.get("asked"), str):
                    known = {k: v for k, v in item.items() if k in Entry.__dataclass_fields__}
                    found.append(Entry(**{"answer": "", "source": "said", **known}))
            return tuple(found)

        ranking = []
        for r in items("ranking"):
            if isinstance(r, Mapping) and isinstance(r.get("cause"), str):
                name = r.get("name") or r.get("cause")
                probability = r.get("probability")
                ranking.append(
                    RankedCause(
                        str(r["cause"]), str(name), float(probability) if isinstance(probability, (int, float)) else 0.0
                    )
                )
        given = data.get("context")
        context: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        return cls(
            reason=str(data.get("reason") or ""),
            symptoms=tuple(str(s) for s in items("symptoms") if s),
            symptoms_said=tuple(str(s) for s in items("symptoms_said") if s),
            context={str(k): v for k, v in context.items() if not str(k).startswith("_")},
            questions=entries("questions"),
            steps_tried=entries("steps_tried"),
            skipped=tuple(str(s) for s in items("skipped") if s),
            ranking=tuple(ranking),
            outcome=outcome_from_dict(data.get("outcome") if isinstance(data.get("outcome"), dict) else None),
            safety=tuple(str(s) for s in items("safety") if s),
        )


def case_summary(engine: DiagnosisEngine, state: DiagnosisState, context: Dict[str, Any], reason: str) -> CaseSummary:
    k = engine.k
    questions: List[Entry] = []
    steps: List[Entry] = []
    for obs in state.observations:
        move = k.move(obs.move)
        evidence = said(k, obs)
        entry = Entry(
            asked=move.title or move.prompt,
            answer=evidence.label,
            source=obs.source if move.kind == "question" else evidence.source,
            ref=k.move_section(obs.move),
            quote=obs.quote,
            volunteered=move.kind == "question" and not obs.asked and obs.source != ASSUMED,
            before=obs.before,
            note="out of date after a later repair" if obs.stale else None,
        )
        (steps if move.kind == "action" else questions).append(entry)
    outcome = outcome_from_dict(state.outcome)
    return CaseSummary(
        reason=reason,
        symptoms=tuple(k.symptom(s).phrase for s in state.symptoms),
        symptoms_said=tuple(k.symptom(s).says for s in state.symptoms),
        context={k_: v for k_, v in context.items() if not k_.startswith("_")},
        questions=tuple(questions),
        steps_tried=tuple(steps),
        skipped=tuple(k.move(m).title or k.move(m).prompt for m in sorted(state.skipped)),
        ranking=tuple(RankedCause(c, k.cause(c).name, round(p, 3)) for c, p in engine.ranking(state)[:4])
        if state.symptoms
        else (),
        outcome=outcome,
        safety=tuple(dict.fromkeys(str(k.move(m).safety) for m in state.safety if k.move(m).safety)),
    )
