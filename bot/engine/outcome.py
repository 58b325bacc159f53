"""How a diagnosis ends: a confirmed fix (with the guide's scenario and post-fix checks) or an
escalation (with the thresholds met and the guide's recommendation). Plain dicts: they are
stored in the state and rendered by the dialogue and hand-off layers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from bot.engine.conditions import holds
from bot.engine.posterior import evidence_against, ranked
from bot.engine.state import DiagnosisState
from bot.engine.tables import Tables
from bot.knowledge.model import Knowledge

CLOUD_SYMPTOMS = {"green_blinking_no_cloud", "live_view_timeout", "offline_after_months"}


def _post_fix_checks(k: Knowledge, state: DiagnosisState, cause: str) -> List[Dict[str, str]]:
    checks = []
    for check in k.post_fix_checks:
        if check.only_if and not (set(check.only_if.symptoms) & set(state.symptoms) or cause in check.only_if.causes):
            continue
        checks.append({"id": check.id, "name": check.name, "check": check.check})
    return checks


def _scenario(k: Knowledge, cause: str, move: Optional[str] = None, route: Optional[str] = None):
    for sc in k.fix_scenarios:
        if sc.cause != cause:
            continue
        if (move and sc.realised_by.move == move) or (route and sc.realised_by.route == route):
            return {
                "id": sc.id,
                "symptom": sc.symptom,
                "cause": sc.cause_detail or k.cause(sc.cause).name,
                "fix": sc.fix,
                "verification": sc.verification,
            }
    return None


def _ranking(t: Tables, p: np.ndarray) -> List[Dict[str, Any]]:
    return [{"cause": c, "probability": round(prob, 4)} for c, prob in ranked(t, p)]


def fix_outcome(k: Knowledge, t: Tables, state: DiagnosisState, action_id: str, p: np.ndarray) -> Dict[str, Any]:
    fixes = t.moves[action_id].fixes
    given_fixed = p * fixes
    cause = t.causes[int(np.argmax(given_fixed))] if given_fixed.sum() > 0 else t.causes[int(np.argmax(p))]
    prob = float(given_fixed.max() / given_fixed.sum()) if given_fixed.sum() > 0 else float(p.max())
    step = next((s for s in k.steps if s.move.id == action_id), None)
    return {
        "type": "fix",
        "action": action_id,
        "action_ref": k.move_section(action_id),
        "cause": cause,
        "cause_name": k.cause(cause).name,
        "probability": round(prob, 4),
        "scenario": _scenario(k, cause, move=action_id),
        "expected": step.expected if step else None,
        "post_fix_checks": _post_fix_checks(k, state, cause),
        "safety": list(state.safety),
    }


def thresholds_met(k: Knowledge, state: DiagnosisState, named: str, recommendation: str) -> List[Dict[str, str]]:
    met = []
    for group in ("replacement_required", "no_repair_possible", "return_recommended"):
        for th in getattr(k.thresholds, group):
            if group == "no_repair_possible":
                applies = (
                    named in th.causes
                    and recommendation in ("replace", "contact_support")
                    and (th.when is None or holds(th.when, state))
                )
            elif group == "replacement_required" and not th.annotation:
                applies = th.when is not None and holds(th.when, state) and named in th.causes
            else:
                applies = th.when is not None and holds(th.when, state)
            if applies:
                met.append({"group": group, "id": th.id, "text": th.text})
    return met


def escalation_outcome(
    k: Knowledge, t: Tables, state: DiagnosisState, route_id: str, covers: Sequence[str], p: np.ndarray
) -> Dict[str, Any]:
    route = k.route(route_id)
    candidates = [t.cause_index(c) for c in covers] or list(range(len(t.causes)))
    named_index = max(candidates, key=lambda i: p[i])
    named = t.causes[named_index]
    recommendation = route.recommendation
    met = thresholds_met(k, state, named, recommendation)
    if recommendation == "replace" and any(m["group"] == "return_recommended" for m in met):
        recommendation = "return"
    notes = []
    if named == "cloud_dns" or set(state.symptoms) & CLOUD_SYMPTOMS:
        notes.extend(k.cloud_dependency)
    warranty_hint = None
    if any(m["id"] == "first_month" for m in met):
        warranty_hint = k.threshold("first_month").text
    return {
        "type": "escalation",
        "route": route_id,
        "covers": list(covers),
        "recommendation": recommendation,
        "text": route.text,
        "cause": named,
        "cause_name": k.cause(named).name,
        "probability": round(float(p[named_index]), 4),
        "ranking": _ranking(t, p),
        "ruled_out": {c: ev for c, ev in evidence_against(t, state, named).items() if ev},
        "thresholds": met,
        "scenario": _scenario(k, named, route=route_id),
        "safety": list(state.safety),
        "tried": [o.move for o in state.observations if o.kind in ("failed", "fixed")],
        "warranty_hint": warranty_hint,
        "warranty": state.answer("warranty_status"),
        "notes": notes,
    }
