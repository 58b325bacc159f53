"""P(cause | evidence): prior x symptom likelihoods x answers x failed repairs (single fault)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from bot.engine.state import DiagnosisState, Observation
from bot.engine.tables import LIKELIHOOD_FLOOR, Tables


def observation_likelihood(tables: Tables, obs: Observation) -> np.ndarray:
    """How likely this observation is under each cause."""
    table = tables.moves[obs.move]
    if obs.kind == "answer":
        return table.likelihood[table.option_ids.index(obs.option or "")]
    if obs.kind == "failed" and obs.relapsed and table.relapses.any():
        return np.maximum(table.relapses, LIKELIHOOD_FLOOR)
    if obs.kind == "failed":
        seen = table.likelihood[table.option_ids.index(obs.option)] if obs.option else 1.0
        return (1.0 - table.fixes - table.relapses) * seen
    return table.fixes  # "fixed"


def posterior(tables: Tables, state: DiagnosisState, disproved: Sequence[int] = ()) -> np.ndarray:
    """Single-fault posterior. Answers assumed from the symptom, and what the complaint itself stated,
    are carried by the symptom's likelihood and not counted again. `disproved` causes (by index) get
    no belief, unless the evidence disproves every cause."""
    log_p = np.log(tables.prior)
    for symptom in state.symptoms:
        log_p = log_p + np.log(np.maximum(tables.symptom_likelihood[symptom], 1e-9))
    for obs in state.observations:
        if obs.counts:
            log_p = log_p + np.log(np.maximum(observation_likelihood(tables, obs), 1e-12))
    log_p -= log_p.max()
    p = np.exp(log_p)
    p /= p.sum()
    if len(disproved):
        kept = p.copy()
        kept[list(disproved)] = 0.0
        if kept.sum() > 1e-12:
            p = kept / kept.sum()
    return p


def ranked(tables: Tables, p: np.ndarray) -> List[Tuple[str, float]]:
    order = np.argsort(-p)
    return [(tables.causes[i], float(p[i])) for i in order]


def evidence_against(tables: Tables, state: DiagnosisState, top: str) -> Dict[str, List[Dict[str, object]]]:
    """For each other cause, the observations that made it less likely than the top cause."""
    t = tables.cause_index(top)
    result: Dict[str, List[Dict[str, object]]] = {}
    items: List[Tuple[str, str, np.ndarray]] = [
        ("symptom", s, np.maximum(tables.symptom_likelihood[s], 1e-9)) for s in state.symptoms
    ]
    for obs in state.observations:
        if obs.counts:
            label = f"{obs.move}={obs.option or ('relapsed' if obs.relapsed else obs.kind)}"
            items.append(("failed" if obs.kind == "failed" else "answer", label, observation_likelihood(tables, obs)))
    for i, cause in enumerate(tables.causes):
        if i == t:
            continue
        against: List[Dict[str, Any]] = []
        for kind, label, lik in items:
            ratio = float(lik[i] / max(lik[t], 1e-12))
            if ratio < 0.5:
                against.append({"kind": kind, "evidence": label, "ratio": round(ratio, 3)})
        against.sort(key=lambda e: e["ratio"])
        result[cause] = against
    return result
