"""A structured case summary built from the diagnosis state, so an agent never re-asks."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from bot.engine import DiagnosisEngine, DiagnosisState
from bot.engine.engine import FIXED


def _label(engine: DiagnosisEngine, move_id: str, option: Optional[str]) -> str:
    if option is None:
        return "did not help"
    if option == FIXED:
        return "fixed it"
    found = engine.k.move(move_id).option(option)
    return found.label if found else option


def case_summary(
    engine: DiagnosisEngine, state: DiagnosisState, context: Dict[str, Any], reason: str
) -> Dict[str, Any]:
    k = engine.k
    questions: List[Dict[str, str]] = []
    steps: List[Dict[str, str]] = []
    for obs in state.observations:
        move = k.move(obs.move)
        entry = {
            "ref": k.move_section(obs.move),
            "asked": move.prompt,
            "answer": _label(
                engine, obs.move, obs.option if obs.kind == "answer" else (FIXED if obs.kind == "fixed" else obs.option)
            ),
            "source": obs.source,
        }
        if obs.stale:
            entry["note"] = "out of date after a later repair"
        (steps if move.kind == "action" else questions).append(entry)
    outcome = state.outcome if state.outcome and state.outcome.get("type") else None
    return {
        "reason": reason,
        "symptoms": [k.symptom(s).phrase for s in state.symptoms],
        "symptoms_said": [k.symptom(s).says for s in state.symptoms],  # the customer's own view of the case
        "context": context,
        "questions": questions,
        "steps_tried": steps,
        "skipped": sorted(state.skipped),
        "ranking": [
            {"cause": c, "name": k.cause(c).name, "probability": round(p, 3)} for c, p in engine.ranking(state)[:4]
        ],
        "outcome": outcome,
        "safety": [k.move(m).safety for m in state.safety if k.move(m).safety],
    }
